package io.nvframe.api;

/** Bad, unknown or ambiguous configuration: backend names, geometry, options. */
public final class NvframeConfigurationException extends NvframeException {
  public NvframeConfigurationException(String message) {
    super(ErrorCode.CONFIG_INVALID, message, null);
  }

  public NvframeConfigurationException(String message, Throwable cause) {
    super(ErrorCode.CONFIG_INVALID, message, cause);
  }

  public NvframeConfigurationException(ErrorCode code, String message) {
    super(code, message, null);
  }

  public NvframeConfigurationException(ErrorCode code, String message, Throwable cause) {
    super(code, message, cause);
  }
}
