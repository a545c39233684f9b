package io.nvframe.api;

import java.util.Objects;

/**
 * Root of nvframe's unchecked exceptions. Every subclass carries an {@link ErrorCode}; the message
 * says what failed, where, and what to do, and ends with the code's id ({@code [NV-020]}).
 */
public abstract class NvframeException extends RuntimeException {
  private final ErrorCode code;

  protected NvframeException(ErrorCode code, String message, Throwable cause) {
    super(Objects.requireNonNull(message, "message") + " [" + code.id() + "]", cause);
    this.code = code;
  }

  /** The stable error code. */
  public ErrorCode code() {
    return code;
  }
}
