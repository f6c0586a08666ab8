package io.flashtensors.server;

import io.flashtensors.load.Device;
import io.flashtensors.load.LoadContext;
import io.flashtensors.load.LoadPlan;
import io.flashtensors.load.LoadTarget;
import io.flashtensors.memory.HostMemory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * Loads a flash layout's partitions into host memory byte for byte, one page-aligned block per
 * partition, read in place by the loader's threads (no staging copy). This is the shape the daemon
 * keeps resident: a client's GPU allocation per partition gets a straight copy of it.
 */
final class PartitionTarget implements LoadTarget<List<MemorySegment>> {

  /** Gives the memory of partition {@code index}: {@code size} bytes, page-aligned. */
  @FunctionalInterface
  interface Allocator {
    MemorySegment allocate(int index, long size) throws IOException;
  }

  private final Allocator allocator;
  private MemorySegment[] partitions;
  private LoadPlan plan;

  /**
   * @param allocator gives the partitions' memory; its owner frees it when the model is dropped
   */
  PartitionTarget(Allocator allocator) {
    this.allocator = allocator;
  }

  /** Partitions in private anonymous memory owned by {@code arena}. */
  static Allocator anonymous(Arena arena) {
    return (index, size) -> HostMemory.allocate(size, arena);
  }

  @Override
  public int alignment() {
    return 256;
  }

  @Override
  public void checkDevice(Device device) {
    if (!device.isCpu()) {
      throw new IllegalArgumentException("the daemon's host cache holds models on cpu only");
    }
  }

  @Override
  public void begin(LoadPlan plan, LoadContext context) throws IOException {
    this.plan = plan;
    partitions = new MemorySegment[plan.destinations().size()];
    for (LoadPlan.Destination d : plan.destinations()) {
      if (!d.identity()) {
        throw new IllegalStateException(
            "the daemon caches flash layouts only; " + plan.model().root() + " is not one");
      }
      partitions[d.index()] = allocator.allocate(d.index(), d.size());
    }
  }

  @Override
  public MemorySegment acquire(LoadPlan.ReadChunk chunk) {
    LoadPlan.Segment direct = chunk.directSegment(plan.destinations());
    return partitions[direct.destination()].asSlice(
        direct.destinationOffset(), chunk.bufferLength());
  }

  @Override
  public void complete(LoadPlan.ReadChunk chunk, MemorySegment buffer) {
    // Read in place.
  }

  @Override
  public void release(LoadPlan.ReadChunk chunk, MemorySegment buffer) {
    // Nothing to hand back.
  }

  @Override
  public List<MemorySegment> finish(LoadContext context) {
    return Arrays.asList(partitions);
  }

  @Override
  public void abort() {
    // The caller closes the arena.
  }
}
