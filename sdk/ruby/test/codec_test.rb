# frozen_string_literal: true

require "minitest/autorun"
require "eddy"

# The codec against docs/protocol.md: the worked example of section 11.5 byte
# for byte, and the varint rules of section 3.
class CodecTest < Minitest::Test
  Codec = Eddy::Codec

  def hex(text) = [text.gsub(/\s+/, "")].pack("H*")

  # Section 11.5: process, batch 1, watermark -1, "words"/"ab"/"1" at time 5, count = 2.
  # The record is traced: its context is the W3C example traceparent.
  WORKED_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 01"
  WORKED_PROCESS = "49000000 42 0100000000000000 ffffffffffffffff 01 05776f726473 026162 0131 " \
                   "0500000000000000 01 05636f756e74 0132 01 00 #{WORKED_TRACE}".freeze
  WORKED_TRANSACTION = "49000000 44 0100000000000000 01 06636f756e7473 026162 0133 0500000000000000 " \
                       "01 026162 05636f756e74 00 0133 00 00 00 01 00 #{WORKED_TRACE}".freeze

  def test_decodes_the_worked_process_frame
    frame = hex(WORKED_PROCESS)
    assert_equal 73, frame.unpack1("L<")
    assert_equal Codec::PROCESS, frame.getbyte(4)
    request = Codec.decode_process(frame.byteslice(5..))
    assert_equal 1, request.batch
    assert_equal(-1, request.watermark)
    assert_equal [Eddy::Record.new("words", "ab", "1", 5)], request.items
    assert_equal({ "ab" => { "count" => "2" } }, request.seeds)
    assert_equal Encoding::BINARY, request.items[0].value.encoding
    assert_equal({ 0 => hex(WORKED_TRACE) }, request.traces)
  end

  def test_rejects_a_bad_trace_section
    records = hex(WORKED_PROCESS).byteslice(5...-27)
    trace = hex(WORKED_TRACE)
    { "" => /truncated.*traced count/,
      "\x01\x01".b + trace => /bad_length.*traced index 1 is not after the previous one and below the 1 records/,
      "\x01\x00".b + trace.byteslice(0, 10) => /count_mismatch.*1 traced records cannot fit/,
      "\x00\x00".b => /trailing_bytes/ }.each do |tail, error|
      e = assert_raises(Eddy::ProtocolError) { Codec.decode_process(records + tail) }
      assert_match error, e.message
    end
  end

  def test_encodes_the_worked_transaction
    request = Codec.decode_process(hex(WORKED_PROCESS).byteslice(5..))
    ctx = Eddy::Context.new(index: 0, count: 1, config: {})
    ctx.begin_request(request.watermark, request.seeds)
    record = request.items[0]
    ctx.focus(record.key, record.time, request.traces[0])
    n = ctx.get("count").to_i + 1
    ctx.put("count", n.to_s)
    ctx.produce("counts", record.key, n.to_s)
    assert_equal hex(WORKED_TRANSACTION), ctx.finish_request(request.batch)
  end

  def test_varints_of_section_3
    { 0 => "00", 1 => "01", 127 => "7f", 128 => "8001", 300 => "ac02", 16_384 => "808001",
      (2**64) - 1 => "ffffffffffffffffff01" }.each do |value, bytes|
      encoded = Codec.append_varint(String.new(encoding: Encoding::BINARY), value)
      assert_equal hex(bytes), encoded, "encoding #{value}"
      assert_equal [value, encoded.bytesize], Codec.decode_varint(encoded), "decoding #{bytes}"
    end
  end

  def test_rejects_bad_varints
    { "8000" => /bad_varint.*overlong/, "8100" => /bad_varint.*overlong/,
      "ffffffffffffffffff02" => /bad_varint.*exceeds/, "ffffffffffffffffff8001" => /bad_varint.*exceeds/,
      "80" => /truncated/, "" => /truncated/ }.each do |bytes, error|
      e = assert_raises(Eddy::ProtocolError, bytes) { Codec.decode_varint(hex(bytes)) }
      assert_match error, e.message
    end
    assert_raises(RangeError) { Codec.append_varint(+"", 2**64) }
    assert_raises(RangeError) { Codec.append_varint(+"", -1) }
  end

  def test_long_lengths_take_the_general_path
    payload = [7, 3].pack("Q<q<")
    Codec.append_varint(payload, 1)
    ["s" * 200, "k" * 130, "v" * 20_000].each { |field| Codec.append_bytes(payload, field) }
    [-9, 0, 0].pack("q<CC", buffer: payload)
    record = Codec.decode_process(payload).items[0]
    assert_equal [200, 130, 20_000, -9],
                 [record.stream.bytesize, record.key.bytesize, record.value.bytesize, record.time]
    assert_equal ["s", "k", "v"], [record.stream, record.key, record.value].map { |field| field.squeeze }

    ctx = Eddy::Context.new(index: 0, count: 1, config: {})
    ctx.focus(record.key, record.time)
    ctx.produce(record.stream, record.key, record.value)
    frame = ctx.finish_request(7)
    r = Codec::Reader.new(frame.byteslice(5..), "transaction")
    decoded = [r.u64("batch"), r.varint("n"), r.bytes("s"), r.bytes("k"), r.bytes("v"), r.i64("t")]
    assert decoded == [7, 1, record.stream, record.key, record.value, -9], "long fields round-trip"
  end

  def test_decodes_fire_timers
    payload = [4, -5].pack("Q<q<") + hex("02 016b 0274 31 0a00000000000000 00 01 016e 0132" \
                                           "  016b 00 0b00000000000000 01 00")
    request = Codec.decode_fire_timers(payload)
    assert_equal [4, -5], [request.batch, request.watermark]
    assert_equal [Eddy::Timer.new("k", "t1", 10, :event_time), Eddy::Timer.new("k", "", 11, :processing_time)],
                 request.items
    assert_equal({ "k" => { "n" => "2" } }, request.seeds)
  end

  def test_rejects_malformed_requests
    worked = hex(WORKED_PROCESS).byteslice(5..)
    { worked + "\x00" => /trailing_bytes/, worked.byteslice(0, 40) => /bad_length|truncated/,
      worked.byteslice(0, 12) => /truncated.*watermark/,
      worked.byteslice(0, 17) + "\x7f" => /bad_length.*stream/ }.each do |payload, error|
      e = assert_raises(Eddy::ProtocolError) { Codec.decode_process(payload) }
      assert_match error, e.message
    end
    bad_domain = [1, 0].pack("Q<q<") + hex("01 00 00 0000000000000000 02 00")
    assert_match(/domain/, assert_raises(Eddy::ProtocolError) { Codec.decode_fire_timers(bad_domain) }.message)
    init = [0, 1, 0].pack("L<3")
    assert_match(/not valid JSON/, assert_raises(Eddy::ProtocolError) do
      Codec.decode_init(init + "\x01{")
    end.message)
    assert_match(/JSON object of strings/, assert_raises(Eddy::ProtocolError) do
      Codec.decode_init("#{init}\x08{\"a\": 1}")
    end.message)
  end

  def test_encodes_hello_error_and_goodbye
    metadata = Eddy::Metadata.new(name: "c", inputs: [Eddy::Subscription.new("w", :key)], outputs: ["o"])
    hello = Codec.encode_sdk_hello("ruby/1.0.0", metadata)
    r = Codec::Reader.new(hello.byteslice(5..), "sdk_hello")
    assert_equal [Codec::SDK_HELLO, 2, "ruby/1.0.0"], [hello.getbyte(4), r.u16("v"), r.bytes("sdk")]
    assert_equal({ "name" => "c", "inputs" => [{ "stream" => "w", "grouping" => "key" }], "outputs" => ["o"] },
                 JSON.parse(r.bytes("metadata")))
    assert_equal hex("0500000047 0100 01 78"), Codec.encode_error(1, "x")
    assert_equal hex("0100000046"), Codec.encode_goodbye
  end
end
