package io.flashtensors.cli;

import io.flashtensors.util.ByteSize;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads size options ({@code --chunk-size 32MB}) with {@link ByteSize#parse}. */
public final class ByteSizeConverter implements ITypeConverter<Long> {

  @Override
  public Long convert(String value) {
    try {
      return ByteSize.parse(value);
    } catch (IllegalArgumentException e) {
      // picocli words any other exception as "cannot convert ... to long (java.lang...)".
      throw new TypeConversionException(e.getMessage());
    }
  }
}
