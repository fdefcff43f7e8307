package eddy.sdk;

import java.util.Arrays;
import java.util.HashMap;

/**
 * The state of the keys of one request as the callbacks see it: per key, name → value, seeded
 * by the request's state entries and updated by every put and erase, so a read sees what
 * earlier callbacks of the same request wrote. Cleared for each request, because the executor
 * sends the stored state (including the previous request's writes) with the next one.
 */
final class StateViews {
    /** A key as a hash-map key; the array is never modified once wrapped. */
    private static final class KeyBytes {
        final byte[] bytes;
        final int hash;

        KeyBytes(byte[] bytes) {
            this.bytes = bytes;
            this.hash = Arrays.hashCode(bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof KeyBytes that && Arrays.equals(bytes, that.bytes);
        }
    }

    private final HashMap<KeyBytes, HashMap<String, byte[]>> views = new HashMap<>();

    void clear() {
        views.clear();
    }

    /**
     * The empty view to seed with `key`'s stored state, or null when the request already has a
     * view of `key`: its entries came with an earlier record, and the view holds newer writes.
     */
    HashMap<String, byte[]> seed(byte[] key) {
        KeyBytes wrapped = new KeyBytes(key);
        if (views.containsKey(wrapped)) {
            return null;
        }
        HashMap<String, byte[]> view = new HashMap<>();
        views.put(wrapped, view);
        return view;
    }

    /** The view of `key`, empty when the request brought no state for it. */
    HashMap<String, byte[]> view(byte[] key) {
        return views.computeIfAbsent(new KeyBytes(key), unused -> new HashMap<>());
    }
}
