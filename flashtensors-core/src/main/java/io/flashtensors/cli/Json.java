package io.flashtensors.cli;

import io.flashtensors.server.proto.ModelSummary;
import io.flashtensors.store.StoredModel;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/** JSON output of the commands' {@code --json} flags (snake_case keys, one object per line). */
final class Json {

  static final JsonMapper MAPPER = JsonMapper.builder().build();

  private Json() {}

  /** A model as the daemon describes it. */
  static Map<String, Object> summary(ModelSummary s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", s.getModelId());
    m.put("revision", s.getRevision());
    m.put("size_bytes", s.getSizeBytes());
    m.put("host_resident", s.getResidency().getHostResident());
    m.put("host_bytes", s.getResidency().getHostBytes());
    m.put("in_use", s.getResidency().getInUse());
    return m;
  }

  /** A model of the store. */
  static Map<String, Object> model(StoredModel s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", s.id());
    m.put("revision", s.revision());
    m.put("commit", s.commit());
    m.put("source", s.source());
    m.put("registered_at", s.registeredAt().toString());
    m.put("size_bytes", s.tensorBytes());
    m.put("disk_bytes", s.diskBytes());
    m.put("dtypes", s.dtypes());
    m.put("partitions", s.partitions());
    m.put("tensors", s.tensors());
    m.put("kept_safetensors", s.keptSource());
    return m;
  }
}
