package io.flashtensors.format;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;

/** CRC32C of consecutive fixed-size blocks of a byte stream, fed in pieces of any size. */
final class BlockChecksums {

  private final int blockSize;
  private final CRC32C crc = new CRC32C();
  private int[] values = new int[16];
  private int count;
  private long inBlock;

  BlockChecksums(int blockSize) {
    this.blockSize = blockSize;
  }

  /** Feeds the remaining bytes of {@code buffer} (its position is left unchanged). */
  void update(ByteBuffer buffer) {
    ByteBuffer view = buffer.duplicate();
    while (view.hasRemaining()) {
      int n = (int) Math.min(view.remaining(), blockSize - inBlock);
      ByteBuffer piece = view.slice(view.position(), n);
      crc.update(piece);
      view.position(view.position() + n);
      inBlock += n;
      if (inBlock == blockSize) {
        push();
      }
    }
  }

  /** The checksums of all blocks, the last one possibly short. */
  int[] finish() {
    if (inBlock > 0) {
      push();
    }
    return Arrays.copyOf(values, count);
  }

  private void push() {
    if (count == values.length) {
      values = Arrays.copyOf(values, count * 2);
    }
    values[count++] = (int) crc.getValue();
    crc.reset();
    inBlock = 0;
  }
}
