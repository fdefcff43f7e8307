package eddy.sdk;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The two pieces of JSON the protocol needs: writing a computation's metadata for
 * {@code sdk_hello}, and reading the configuration of {@code init}, an object whose values are
 * all strings (RFC 8259, strictly: no comments, no trailing commas, no duplicate names).
 */
final class Json {
    private Json() {}

    /** {@code {"name": ..., "inputs": [{"stream": ..., "grouping": ...}], "outputs": [...]}}. */
    static String metadata(Metadata metadata) {
        StringBuilder out = new StringBuilder(128);
        out.append("{\"name\":");
        string(out, metadata.name());
        out.append(",\"inputs\":[");
        List<Subscription> inputs = metadata.inputs();
        for (int i = 0; i < inputs.size(); i++) {
            out.append(i == 0 ? "" : ",").append("{\"stream\":");
            string(out, inputs.get(i).stream());
            out.append(",\"grouping\":");
            string(out, inputs.get(i).grouping().manifestName());
            out.append('}');
        }
        out.append("],\"outputs\":[");
        List<String> outputs = metadata.outputs();
        for (int i = 0; i < outputs.size(); i++) {
            out.append(i == 0 ? "" : ",");
            string(out, outputs.get(i));
        }
        return out.append("]}").toString();
    }

    /** Appends `text` as a JSON string literal. */
    static void string(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /**
     * Parses an object whose values are all strings, keeping the order of its members.
     * Throws IllegalArgumentException saying what is wrong and at which character offset.
     */
    static Map<String, String> parseStringObject(String text) {
        return new ObjectParser(text).parse();
    }

    private static final class ObjectParser {
        private final String text;
        private int position;

        ObjectParser(String text) {
            this.text = text;
        }

        Map<String, String> parse() {
            Map<String, String> members = new LinkedHashMap<>();
            skipWhitespace();
            expect('{');
            skipWhitespace();
            if (peek() == '}') {
                position++;
            } else {
                while (true) {
                    skipWhitespace();
                    int nameAt = position;
                    String name = string();
                    skipWhitespace();
                    expect(':');
                    skipWhitespace();
                    if (peek() != '"') {
                        throw error("the value of \"" + name + "\" is not a string");
                    }
                    if (members.put(name, string()) != null) {
                        position = nameAt;
                        throw error("duplicate name \"" + name + "\"");
                    }
                    skipWhitespace();
                    char next = peek();
                    position++;
                    if (next == '}') {
                        break;
                    }
                    if (next != ',') {
                        position--;
                        throw error("expected ',' or '}'");
                    }
                }
            }
            skipWhitespace();
            if (position != text.length()) {
                throw error("text after the object");
            }
            return members;
        }

        private String string() {
            expect('"');
            StringBuilder value = new StringBuilder();
            while (true) {
                if (position >= text.length()) {
                    throw error("unterminated string");
                }
                char c = text.charAt(position++);
                if (c == '"') {
                    return value.toString();
                }
                if (c < 0x20) {
                    throw error("control character in a string");
                }
                if (c != '\\') {
                    value.append(c);
                    continue;
                }
                if (position >= text.length()) {
                    throw error("unterminated escape");
                }
                char escaped = text.charAt(position++);
                switch (escaped) {
                    case '"', '\\', '/' -> value.append(escaped);
                    case 'b' -> value.append('\b');
                    case 'f' -> value.append('\f');
                    case 'n' -> value.append('\n');
                    case 'r' -> value.append('\r');
                    case 't' -> value.append('\t');
                    case 'u' -> value.append(hex4());
                    default -> {
                        position--;
                        throw error("bad escape \\" + escaped);
                    }
                }
            }
        }

        /** Four hex digits after "\\u"; surrogate pairs come out as two chars, as in Java. */
        private char hex4() {
            if (position + 4 > text.length()) {
                throw error("truncated \\u escape");
            }
            int value = 0;
            for (int i = 0; i < 4; i++) {
                char c = text.charAt(position++);
                int digit = c >= '0' && c <= '9' ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                        : -1;
                if (digit < 0) {
                    position--;
                    throw error("bad hex digit in a \\u escape");
                }
                value = value * 16 + digit;
            }
            return (char) value;
        }

        private void skipWhitespace() {
            while (position < text.length()) {
                char c = text.charAt(position);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                position++;
            }
        }

        private char peek() {
            if (position >= text.length()) {
                throw error("unexpected end");
            }
            return text.charAt(position);
        }

        private void expect(char wanted) {
            if (peek() != wanted) {
                throw error("expected '" + wanted + "'");
            }
            position++;
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at offset " + position);
        }
    }
}
