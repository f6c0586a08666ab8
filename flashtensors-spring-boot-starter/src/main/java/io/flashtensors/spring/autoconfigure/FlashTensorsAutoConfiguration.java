package io.flashtensors.spring.autoconfigure;

import org.springframework.boot.autoconfigure.AutoConfiguration;

/** Auto-configuration of flashtensors: the loader, the model store and the Spring AI chat model. */
@AutoConfiguration
public final class FlashTensorsAutoConfiguration {}
