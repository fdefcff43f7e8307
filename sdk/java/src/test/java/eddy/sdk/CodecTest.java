package eddy.sdk;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The codec against docs/protocol.md: the worked example of 11.5 and varint edge cases. */
final class CodecTest {
    // docs/protocol.md 11.5, byte for byte.
    // Its trace context: the W3C example traceparent.
    static final String WORKED_TRACE =
            "4b f9 2f 35 77 b3 4d a6 a3 ce 92 9d 0e 0e 47 36  00 f0 67 aa 0b a9 02 b7  01";
    static final byte[] WORKED_PROCESS = Check.hex("""
            49 00 00 00  42  01 00 00 00 00 00 00 00  ff ff ff ff ff ff ff ff  01
            05 77 6f 72 64 73  02 61 62  01 31  05 00 00 00 00 00 00 00
            01  05 63 6f 75 6e 74  01 32
            01  00""" + WORKED_TRACE);
    static final byte[] WORKED_TRANSACTION = Check.hex("""
            49 00 00 00  44  01 00 00 00 00 00 00 00
            01  06 63 6f 75 6e 74 73  02 61 62  01 33  05 00 00 00 00 00 00 00
            01  02 61 62  05 63 6f 75 6e 74  00  01 33
            00  00  00
            01  00""" + WORKED_TRACE);

    /** The counter of the worked example, as in include/eddy/computation.hpp. */
    static final class Counter implements Computation {
        @Override
        public Metadata metadata() {
            return new Metadata("counter", List.of(Subscription.key("words")), List.of("counts"));
        }

        @Override
        public void processRecord(Context ctx, Record r) {
            String count = ctx.getString("count");
            long n = (count == null ? 0 : Long.parseLong(count)) + 1;
            ctx.put("count", Long.toString(n));
            ctx.produce("counts", r.key(), Long.toString(n));
        }
    }

    @Test
    public void decodesTheWorkedProcessFrame() throws Exception {
        PayloadReader in = new PayloadReader();
        in.reset(WORKED_PROCESS, 5, WORKED_PROCESS.length, "process");
        Check.equal(73, WORKED_PROCESS.length - 4, "length field matches");
        Check.equal(FrameType.PROCESS, WORKED_PROCESS[4] & 0xff, "type");
        List<Record> records = new ArrayList<>();
        StateViews views = new StateViews();
        Map<Integer, byte[]> traces = new java.util.HashMap<>();
        RequestDecoder.Batch batch = new RequestDecoder().process(in, records, views, traces);
        Check.equal(1, traces.size(), "traced records");
        Check.bytes(Check.hex(WORKED_TRACE), traces.get(0), "trace context of record 0");
        Check.equal(1L, batch.batch(), "batch");
        Check.equal(-1L, batch.watermark(), "watermark");
        Check.equal(1, records.size(), "records");
        Record r = records.get(0);
        Check.equal("words", r.stream(), "stream");
        Check.equal("ab", r.keyString(), "key");
        Check.equal("1", r.valueString(), "value");
        Check.equal(5L, r.time(), "time");
        Check.equal("2", Frames.utf8(views.view("ab".getBytes()).get("count")), "seeded state");
    }

    @Test
    public void rejectsABadTraceSection() {
        byte[] records = java.util.Arrays.copyOfRange(WORKED_PROCESS, 5, WORKED_PROCESS.length - 27);
        byte[] trace = Check.hex(WORKED_TRACE);
        Map<String, byte[]> tails = new java.util.LinkedHashMap<>();
        tails.put("traced index 1 is not after the previous one and below the 1 records",
                concat(new byte[] {1, 1}, trace));
        tails.put("traced count says 1 but only 12 byte(s) follow",
                concat(new byte[] {1, 0}, java.util.Arrays.copyOf(trace, 11)));
        tails.put("the payload ends inside traced count", new byte[0]);
        for (Map.Entry<String, byte[]> tail : tails.entrySet()) {
            byte[] payload = concat(records, tail.getValue());
            PayloadReader in = new PayloadReader();
            in.reset(payload, 0, payload.length, "process");
            ProtocolException e = Check.raises(ProtocolException.class,
                    () -> new RequestDecoder().process(in, new ArrayList<>(), new StateViews(),
                            new java.util.HashMap<>()),
                    tail.getKey());
            Check.contains(e.getMessage(), tail.getKey(), "the error names the section");
        }
    }

    @Test
    public void encodesTheWorkedTransaction() {
        Transaction transaction = new Transaction();
        transaction.trace(Check.hex(WORKED_TRACE));
        transaction.produce("counts", "ab".getBytes(), "3".getBytes(), 5);
        transaction.put("ab".getBytes(), "count".getBytes(), "3".getBytes());
        PayloadWriter frame = new PayloadWriter(16);
        transaction.encodeFrame(1, frame);
        byte[] bytes = java.util.Arrays.copyOf(frame.array(), frame.size());
        Check.bytes(WORKED_TRANSACTION, bytes, "transaction of 11.5");
    }

    @Test
    public void theCounterAnswersTheWorkedExampleExactly() throws Exception {
        byte[] input = concat(Frames.init(0, 1, 0, "{}"), WORKED_PROCESS, Frames.shutdown());
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int status = Conversation.serve(new Counter(),
                Channels.newChannel(new ByteArrayInputStream(input)), Channels.newChannel(output),
                new PrintStream(diagnostics, true));
        Check.equal(Conversation.EXIT_OK, status, "exit status; diagnostics: " + diagnostics);
        List<Frames.Frame> frames = Frames.split(output.toByteArray());
        Check.equal(4, frames.size(), "hello, init transaction, process transaction, goodbye");
        Check.equal(FrameType.SDK_HELLO, frames.get(0).type(), "hello");
        Check.equal(new Frames.Decoded(0, List.of(), List.of(), List.of(), List.of(), List.of()),
                Frames.transaction(frames.get(1).payload()), "init transaction");
        Check.bytes(WORKED_TRANSACTION, Frames.encoded(frames.get(2)), "the transaction of 11.5");
        Check.equal(FrameType.GOODBYE, frames.get(3).type(), "goodbye");
        Check.equal(0, frames.get(3).payload().length, "goodbye is empty");
    }

    @Test
    public void framesArrivingOneByteAtATimeAreReassembled() throws Exception {
        byte[] input = concat(Frames.init(0, 1, 0, "{}"), WORKED_PROCESS, WORKED_PROCESS,
                Frames.shutdown());
        ByteArrayInputStream source = new ByteArrayInputStream(input);
        ReadableByteChannel trickle = new ReadableByteChannel() {
            @Override
            public int read(ByteBuffer destination) {
                int b = source.read();
                if (b < 0) {
                    return -1;
                }
                destination.put((byte) b);
                return 1;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {}
        };
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int status = Conversation.serve(new Counter(), trickle, Channels.newChannel(output),
                new PrintStream(new ByteArrayOutputStream(), true));
        Check.equal(Conversation.EXIT_OK, status, "exit status");
        List<Frames.Frame> frames = Frames.split(output.toByteArray());
        Check.equal(5, frames.size(), "hello, three transactions, goodbye");
        Check.bytes(WORKED_TRANSACTION, Frames.encoded(frames.get(2)), "first process answered");
        Check.bytes(WORKED_TRANSACTION, Frames.encoded(frames.get(3)),
                "second process answered from a fresh view");
    }

    @Test
    public void varintsEncodeAsDocumented() {
        Map<Long, String> table = new java.util.LinkedHashMap<>();
        table.put(0L, "00");
        table.put(1L, "01");
        table.put(127L, "7f");
        table.put(128L, "80 01");
        table.put(300L, "ac 02");
        table.put(16_384L, "80 80 01");
        table.put(-1L, "ff ff ff ff ff ff ff ff ff 01");  // 2^64 - 1
        for (Map.Entry<Long, String> row : table.entrySet()) {
            PayloadWriter out = new PayloadWriter(1);
            out.varint(row.getKey());
            byte[] encoded = java.util.Arrays.copyOf(out.array(), out.size());
            String what = "varint " + Long.toUnsignedString(row.getKey());
            Check.bytes(Check.hex(row.getValue()), encoded, what);
            try {
                Check.equal(row.getKey(), reader(encoded).varint("v"), what + " decodes");
            } catch (ProtocolException e) {
                throw new AssertionError(what + " decodes: " + e.getMessage());
            }
        }
    }

    @Test
    public void overlongAndOversizedVarintsAreRejected() {
        for (String bad : List.of("80 00", "81 00", "ff ff ff ff ff ff ff ff ff 00",
                "ff ff ff ff ff ff ff ff ff 02", "ff ff ff ff ff ff ff ff ff 81 00")) {
            ProtocolException e = Check.raises(ProtocolException.class,
                    () -> reader(Check.hex(bad)).varint("v"), "varint " + bad);
            Check.contains(e.getMessage(), "bad varint", "varint " + bad);
        }
        ProtocolException cut = Check.raises(ProtocolException.class,
                () -> reader(Check.hex("80 80")).varint("v"), "a cut-off varint");
        Check.contains(cut.getMessage(), "truncated", "a cut-off varint");
    }

    @Test
    public void fixedWidthIntegersAreLittleEndian() throws Exception {
        PayloadReader in = reader(Check.hex("34 12  78 56 34 12  00 00 00 00 00 00 00 80  ff"));
        Check.equal(0x1234, in.u16("u16"), "u16");
        Check.equal(0x12345678L, in.u32("u32"), "u32");
        Check.equal(Long.MIN_VALUE, in.i64("i64"), "i64");
        ProtocolException trailing = Check.raises(ProtocolException.class, in::expectEnd, "trailing");
        Check.contains(trailing.getMessage(), "trailing bytes", "trailing");
    }

    @Test
    public void bytesLongerThanThePayloadAreTruncated() {
        ProtocolException e = Check.raises(ProtocolException.class,
                () -> reader(Check.hex("05 61 62")).bytes("key"), "bytes of 5 with 2 left");
        Check.contains(e.getMessage(), "truncated", "message");
    }

    private static PayloadReader reader(byte[] bytes) {
        PayloadReader in = new PayloadReader();
        in.reset(bytes, 0, bytes.length, "test");
        return in;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            all.writeBytes(part);
        }
        return all.toByteArray();
    }
}
