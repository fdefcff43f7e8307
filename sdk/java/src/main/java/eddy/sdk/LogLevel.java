package eddy.sdk;

/** Severity of a line written with {@link Context#log}. The ordinals are the protocol's bytes. */
public enum LogLevel {
    DEBUG,
    INFO,
    WARN,
    ERROR
}
