package eddy.sdk;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * The Context the conversation passes to every callback. It is one object for the whole
 * conversation, pointed at the current request ({@link #beginRequest}) and at the record or
 * timer being handled ({@link #beginInput}); its effects go to the request's Transaction.
 */
final class RequestContext implements Context {
    private final Transaction transaction;
    private final StateViews views;
    // State names repeat on every call: keep the UTF-8 of the first few hundred.
    private static final int CACHED_NAMES = 256;
    private final Map<String, byte[]> nameBytes = new HashMap<>();
    private Map<String, String> config = Map.of();
    private int instanceIndex;
    private int instanceCount;
    private long watermark;
    private byte[] currentKey;  // null in init: no state calls there
    private long currentTime;
    private HashMap<String, byte[]> currentView;  // looked up on the first state call

    RequestContext(Transaction transaction, StateViews views) {
        this.transaction = transaction;
        this.views = views;
    }

    void configure(int index, int count, Map<String, String> config) {
        this.instanceIndex = index;
        this.instanceCount = count;
        this.config = config;
    }

    void beginRequest(long watermark) {
        this.watermark = watermark;
        this.currentKey = null;
        this.currentTime = 0;
        this.currentView = null;
    }

    /** The next callback handles an input of `key` (null for init) at event time `time`. */
    void beginInput(byte[] key, long time) {
        this.currentKey = key;
        this.currentTime = time;
        this.currentView = null;
    }

    @Override
    public void produce(String stream, byte[] key, byte[] value) {
        transaction.produce(stream, key, value, currentTime);
    }

    @Override
    public void produce(String stream, byte[] key, byte[] value, long time) {
        transaction.produce(stream, key, value, time);
    }

    @Override
    public void setTimer(byte[] key, long time, TimeDomain domain, byte[] tag) {
        transaction.timer(key, tag, time, domain);
    }

    @Override
    public byte[] get(String name) {
        return view().get(name);
    }

    @Override
    public void put(String name, byte[] value) {
        HashMap<String, byte[]> view = view();
        byte[] copy = value.clone();
        view.put(name, copy);
        transaction.put(currentKey, encodedName(name), copy);
    }

    @Override
    public void erase(String name) {
        view().remove(name);
        transaction.erase(currentKey, encodedName(name));
    }

    @Override
    public long watermark() {
        return watermark;
    }

    @Override
    public long processingTime() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    @Override
    public String config(String name) {
        return config.get(name);
    }

    @Override
    public int instanceIndex() {
        return instanceIndex;
    }

    @Override
    public int instanceCount() {
        return instanceCount;
    }

    @Override
    public void log(LogLevel level, String message) {
        transaction.log(level, message);
    }

    private HashMap<String, byte[]> view() {
        if (currentKey == null) {
            throw new IllegalStateException(
                    "state calls act on the current key, and there is none in init");
        }
        if (currentView == null) {
            currentView = views.view(currentKey);
        }
        return currentView;
    }

    private byte[] encodedName(String name) {
        byte[] encoded = nameBytes.get(name);
        if (encoded == null) {
            encoded = name.getBytes(StandardCharsets.UTF_8);
            if (nameBytes.size() < CACHED_NAMES) {
                nameBytes.put(name, encoded);
            }
        }
        return encoded;
    }
}
