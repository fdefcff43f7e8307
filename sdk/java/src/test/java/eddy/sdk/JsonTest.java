package eddy.sdk;

import java.util.List;
import java.util.Map;

/** The metadata writer and the strict reader of init's config. */
final class JsonTest {
    @Test
    public void writesMetadata() {
        String json = Json.metadata(new Metadata("counter",
                List.of(Subscription.key("words"), Subscription.broadcast("b\"\\\n\u0001")),
                List.of("counts")));
        Check.equal("{\"name\":\"counter\",\"inputs\":[{\"stream\":\"words\",\"grouping\":\"key\"},"
                + "{\"stream\":\"b\\\"\\\\\\n\\u0001\",\"grouping\":\"broadcast\"}],"
                + "\"outputs\":[\"counts\"]}", json, "metadata JSON");
        Check.equal("{\"name\":\"sink\",\"inputs\":[],\"outputs\":[]}",
                Json.metadata(new Metadata("sink", List.of(), List.of())), "empty lists");
    }

    @Test
    public void readsAnObjectOfStrings() {
        Check.equal(Map.of(), Json.parseStringObject(" { } "), "empty object");
        Map<String, String> config = Json.parseStringObject(
                "{\"path\": \"/tmp/out.txt\", \"esc\":\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude00\","
                        + " \"\u00fcnicode\": \"\u65e5\"}");
        Check.equal("/tmp/out.txt", config.get("path"), "plain value");
        Check.equal("a\"b\\c/d\n\t\u00e9\ud83d\ude00", config.get("esc"), "escapes");
        Check.equal("\u65e5", config.get("\u00fcnicode"), "non-ASCII");
    }

    @Test
    public void rejectsWhatIsNotAnObjectOfStrings() {
        for (String bad : List.of("", "[]", "{", "{\"a\":1}", "{\"a\":\"b\",}", "{\"a\":\"b\"} x",
                "{\"a\":\"b\",\"a\":\"c\"}", "{a:\"b\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12g4\"}",
                "{\"a\":\"b\n\"}", "{\"a\":\"b\" \"c\":\"d\"}", "{\"a\":null}", "{\"a\":\"b")) {
            Check.raises(IllegalArgumentException.class, () -> Json.parseStringObject(bad),
                    "rejects " + bad);
        }
    }
}
