package io.flashtensors.load.gpu;

/**
 * A model held in the pinned pool.
 *
 * @param key the model's folder or file (absolute), as loads name it
 * @param modelId the model id
 * @param bytes pinned bytes it holds (whole chunks)
 * @param loadsInFlight loads using it now; a model in use is never evicted
 * @param ready false while its first load is still reading it
 */
public record ResidentModel(
    String key, String modelId, long bytes, int loadsInFlight, boolean ready) {}
