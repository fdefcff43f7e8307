package eddy.sdk;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/** Assertions for the tests: each throws AssertionError saying what differed. */
final class Check {
    private Check() {}

    static void equal(Object expected, Object actual, String what) {
        if (!Objects.equals(expected, actual)) {
            throw new AssertionError(what + ": expected <" + expected + "> but was <" + actual + ">");
        }
    }

    static void bytes(byte[] expected, byte[] actual, String what) {
        if (!Arrays.equals(expected, actual)) {
            throw new AssertionError(what + ":\n  expected " + HexFormat.ofDelimiter(" ").formatHex(expected)
                    + "\n  actual   " + HexFormat.ofDelimiter(" ").formatHex(actual));
        }
    }

    static void isTrue(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }

    static void contains(String haystack, String needle, String what) {
        if (haystack == null || !haystack.contains(needle)) {
            throw new AssertionError(what + ": <" + haystack + "> does not contain <" + needle + ">");
        }
    }

    /** Runs `body` and returns the exception of `type` it must throw. */
    static <T extends Throwable> T raises(Class<T> type, ThrowingRunnable body, String what) {
        try {
            body.run();
        } catch (Throwable e) {
            if (type.isInstance(e)) {
                return type.cast(e);
            }
            throw new AssertionError(what + ": expected " + type.getSimpleName() + " but got " + e, e);
        }
        throw new AssertionError(what + ": expected " + type.getSimpleName() + ", nothing was thrown");
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Bytes from hex digits, spaces ignored: hex("2e 00 00 00"). */
    static byte[] hex(String digits) {
        return HexFormat.of().parseHex(digits.replaceAll("\\s+", ""));
    }
}
