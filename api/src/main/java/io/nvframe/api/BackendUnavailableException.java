package io.nvframe.api;

/** A backend is installed but cannot work in this environment (no DAX mount, no device, missing JVM flag). */
public final class BackendUnavailableException extends NvframeException {
  public BackendUnavailableException(String message) {
    super(ErrorCode.BACKEND_UNAVAILABLE, message, null);
  }

  public BackendUnavailableException(String message, Throwable cause) {
    super(ErrorCode.BACKEND_UNAVAILABLE, message, cause);
  }

  public BackendUnavailableException(ErrorCode code, String message) {
    super(code, message, null);
  }

  public BackendUnavailableException(ErrorCode code, String message, Throwable cause) {
    super(code, message, cause);
  }
}
