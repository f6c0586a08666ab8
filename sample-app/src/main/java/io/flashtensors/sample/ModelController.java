package io.flashtensors.sample;

import io.flashtensors.llm.ModelDescriptor;
import io.flashtensors.spring.ai.FlashTensorsChatModel;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Tells the page which model answers, where it runs, and how long loading took. */
@RestController
class ModelController {

  private final ObjectProvider<FlashTensorsChatModel> chatModel;
  private final boolean bundled;
  private final String configured;

  ModelController(
      ObjectProvider<FlashTensorsChatModel> chatModel,
      @Value("${" + BundledModel.BUNDLED_PROPERTY + ":false}") boolean bundled,
      @Value("${" + BundledModel.MODEL_PROPERTY + ":}") String configured) {
    this.chatModel = chatModel;
    this.bundled = bundled;
    this.configured = configured;
  }

  @GetMapping("/api/model")
  Map<String, Object> model() {
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("bundled", this.bundled);
    FlashTensorsChatModel chat = this.chatModel.getIfAvailable();
    if (chat == null) {
      model.put("available", false);
      model.put(
          "note",
          "No model is configured and none is bundled: set flashtensors.chat.model to a model"
              + " folder or store id.");
      return model;
    }
    model.put("available", true);
    model.put("configured", this.configured);
    try {
      ModelDescriptor descriptor = chat.descriptor();
      model.put("id", descriptor.id());
      model.put("architecture", descriptor.architecture());
      model.put("device", descriptor.device());
      model.put("contextLength", descriptor.contextLength());
      model.put("parameterBytes", descriptor.parameterBytes());
      model.put("loadSeconds", descriptor.loadSeconds());
    } catch (RuntimeException ex) {
      model.put("available", false);
      model.put("error", String.valueOf(ex.getMessage()));
    }
    if (this.bundled) {
      model.put(
          "note",
          "No model was configured, so this is the tiny test model bundled with the sample: it"
              + " answers with gibberish. Set flashtensors.chat.model to a Qwen3 folder or store"
              + " id for real answers.");
    }
    return model;
  }
}
