package io.flashtensors.cli;

import io.flashtensors.util.ByteSize;
import picocli.CommandLine.ITypeConverter;

/** Reads size options ({@code --chunk-size 32MB}) with {@link ByteSize#parse}. */
public final class ByteSizeConverter implements ITypeConverter<Long> {

  @Override
  public Long convert(String value) {
    return ByteSize.parse(value);
  }
}
