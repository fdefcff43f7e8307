#include "control/manifest.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace eddy::control {
namespace {

namespace fs = std::filesystem;

// Every problem of parsing `text` as wordcount.yaml, as "file:line:column: message".
std::vector<std::string> problems(const std::string& text) {
    const auto parsed = parse_manifest(text, "wordcount.yaml");
    std::vector<std::string> lines;
    if (!parsed) {
        for (const auto& problem : parsed.error().problems) {
            lines.push_back(problem.to_string());
        }
    }
    return lines;
}

// A temporary directory holding a manifest and a stand-in shared library.
class manifest_dir : public ::testing::Test {
protected:
    void SetUp() override {
        _dir = fs::temp_directory_path() /
               ("eddy-manifest-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(_dir);
        fs::create_directories(_dir / "lib");
        std::ofstream(_dir / "lib" / "libwordcount.so") << "not really ELF";
    }
    void TearDown() override { fs::remove_all(_dir); }

    fs::path _dir;
};

TEST(manifest, single_computation_at_top_level) {
    const auto parsed = parse_manifest(R"(name: sentences
builtin: generator
instances: 2
outputs: [sentences]
config:
  kind: sentences
  rate: 1000
  verbose: True
  label: "true"
)",
                                       "wordcount.yaml");
    ASSERT_TRUE(parsed) << parsed.error().message;
    ASSERT_EQ(parsed->computations.size(), 1u);
    const auto& spec = parsed->computations[0];
    EXPECT_EQ(spec.name, "sentences");
    EXPECT_EQ(spec.builtin, "generator");
    EXPECT_EQ(spec.instances, 2u);
    EXPECT_EQ(spec.outputs, std::vector<std::string>{"sentences"});
    EXPECT_EQ(spec.delivery, delivery_mode::at_most_once);
    EXPECT_EQ(spec.config.at("rate"), "1000");
    EXPECT_EQ(spec.config.at("verbose"), "true");  // a YAML boolean, spelled one way
    EXPECT_EQ(spec.config.at("label"), "true");
    EXPECT_EQ(spec.resources.cpu, 0);
}

TEST_F(manifest_dir, many_computations_with_library_relative_to_manifest) {
    const auto file = _dir / "wordcount.yaml";
    std::ofstream(file) << R"(computations:
  - name: sentences
    builtin: generator
    outputs: [sentences]
  - name: splitter
    library: lib/libwordcount.so
    class: splitter
    instances: 4
    inputs: [sentences]
    outputs: [words]
  - name: counter
    library: ./lib/../lib/libwordcount.so
    class: counter
    inputs:
      - {stream: words, grouping: key}
      - stream: control
        grouping: broadcast
    outputs: [counts]
    delivery: exactly_once
    environment: {RUST_LOG: debug, EDDY_TRACE: 1}
    resources: {cpu: 500m, memory: 256Mi}
)";
    const auto parsed = parse_manifest_file(file);
    ASSERT_TRUE(parsed) << parsed.error().message;
    ASSERT_EQ(parsed->computations.size(), 3u);
    const auto& splitter = parsed->computations[1];
    EXPECT_EQ(splitter.library, _dir / "lib" / "libwordcount.so");
    EXPECT_EQ(splitter.class_name, "splitter");
    EXPECT_EQ(splitter.instances, 4u);
    ASSERT_EQ(splitter.inputs.size(), 1u);
    EXPECT_EQ(splitter.inputs[0].stream, "sentences");
    EXPECT_EQ(splitter.inputs[0].by, grouping::shuffle);
    const auto& counter = parsed->computations[2];
    EXPECT_EQ(counter.library, _dir / "lib" / "libwordcount.so");
    ASSERT_EQ(counter.inputs.size(), 2u);
    EXPECT_EQ(counter.inputs[0].by, grouping::key);
    EXPECT_EQ(counter.inputs[1].stream, "control");
    EXPECT_EQ(counter.inputs[1].by, grouping::broadcast);
    EXPECT_EQ(counter.delivery, delivery_mode::exactly_once);
    EXPECT_EQ(counter.environment.at("EDDY_TRACE"), "1");
    EXPECT_DOUBLE_EQ(counter.resources.cpu, 0.5);
    EXPECT_EQ(counter.resources.memory_bytes, 256u << 20);
}

TEST(manifest, several_yaml_documents_make_one_manifest) {
    const auto parsed = parse_manifest(
        "name: a\nbuiltin: generator\n---\nname: b\nbuiltin: stdout\ninputs: [records]\n",
        "two.yaml");
    ASSERT_TRUE(parsed) << parsed.error().message;
    ASSERT_EQ(parsed->computations.size(), 2u);
    EXPECT_EQ(parsed->computations[1].name, "b");
}

TEST(manifest_errors, grouping_names_file_line_and_column) {
    EXPECT_EQ(problems(R"(computations:
  - name: counter
    builtin: stdout
    inputs:
      - words
      - {stream: words2, grouping: hash}
)"),
              std::vector<std::string>{"wordcount.yaml:6:36: computation 'counter': grouping "
                                       "'hash' is not one of key, shuffle, broadcast"});
}

TEST(manifest_errors, yaml_syntax_error) {
    const auto found = problems("name: counter\ninputs: [words\nbuiltin: stdout\n");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].rfind("wordcount.yaml:3:", 0), 0u) << found[0];
    EXPECT_NE(found[0].find("YAML syntax error"), std::string::npos) << found[0];
}

TEST(manifest_errors, required_fields_and_names) {
    EXPECT_EQ(problems("builtin: generator\n"),
              std::vector<std::string>{"wordcount.yaml:1:1: computation #1: 'name' is required"});
    EXPECT_EQ(problems("name: word count\nbuiltin: generator\n"),
              std::vector<std::string>{
                  "wordcount.yaml:1:7: computation 'word count': name 'word count' may only "
                  "contain letters, digits, '_', '.' and '-'"});
    EXPECT_EQ(problems("name: [a, b]\nbuiltin: generator\n"),
              std::vector<std::string>{
                  "wordcount.yaml:1:7: computation #1: 'name' must be a single value, not a list"});
    EXPECT_EQ(problems("name: a\n"),
              std::vector<std::string>{"wordcount.yaml:1:1: computation 'a': say how to run it: "
                                       "'builtin', 'library' with 'class', or 'command'"});
}

TEST(manifest_errors, duplicate_computation_names) {
    EXPECT_EQ(problems(R"(computations:
  - name: a
    builtin: generator
  - name: a
    builtin: stdout
)"),
              std::vector<std::string>{
                  "wordcount.yaml:4:5: computation 'a' is defined twice (first at line 2)"});
}

TEST(manifest_errors, instances_out_of_range) {
    EXPECT_EQ(problems("name: a\nbuiltin: generator\ninstances: 0\n"),
              std::vector<std::string>{"wordcount.yaml:3:12: computation 'a': instances must be "
                                       "an integer from 1 to 4096, not '0'"});
    EXPECT_EQ(problems("name: a\nbuiltin: generator\ninstances: 4097\n").size(), 1u);
    EXPECT_EQ(problems("name: a\nbuiltin: generator\ninstances: two\n").size(), 1u);
    EXPECT_EQ(problems("name: a\nbuiltin: generator\ninstances: 4096\n").size(), 0u);
    EXPECT_EQ(problems("name: f\nbuiltin: file\ninstances: 2\n"),
              std::vector<std::string>{"wordcount.yaml:3:12: computation 'f': the built-in "
                                       "'file' runs as exactly one instance"});
    EXPECT_EQ(problems("name: r\nbuiltin: rolling-file\ninstances: 3\n"),
              std::vector<std::string>{"wordcount.yaml:3:12: computation 'r': the built-in "
                                       "'rolling-file' runs as exactly one instance"});
    EXPECT_EQ(problems("name: s\nbuiltin: file-source\ninstances: 3\n").size(), 0u);
}

TEST(manifest_errors, state_version_must_be_a_positive_integer) {
    for (const auto* bad : {"0", "-1", "two"}) {
        const auto found =
            problems(std::string("name: a\nbuiltin: generator\nstate_version: ") + bad + "\n");
        ASSERT_EQ(found.size(), 1u) << bad;
        EXPECT_NE(found[0].find("'state_version' must be an integer of 1 or more, not '" +
                                std::string(bad) + "'"),
                  std::string::npos)
            << found[0];
    }
}

TEST(manifest_errors, unknown_key_names_the_known_ones) {
    EXPECT_EQ(problems("name: a\nbuiltin: generator\ninstance: 2\n"),
              std::vector<std::string>{
                  "wordcount.yaml:3:1: computation 'a': unknown key 'instance' (did you mean "
                  "'instances'? known keys: name, builtin, library, class, command, attach, "
                  "timeout, instances, inputs, outputs, delivery, config, environment, "
                  "resources, state_version)"});
    const auto synonym = problems("name: a\nbuiltin: stdout\nsubscriptions: [x]\n");
    ASSERT_EQ(synonym.size(), 1u);
    EXPECT_NE(synonym[0].find("did you mean 'inputs'?"), std::string::npos) << synonym[0];
    const auto input_key =
        problems("name: a\nbuiltin: stdout\ninputs:\n  - {stream: x, by: key}\n");
    ASSERT_EQ(input_key.size(), 1u);
    EXPECT_EQ(
        input_key[0].rfind("wordcount.yaml:4:17: computation 'a': input: unknown key 'by'", 0), 0u)
        << input_key[0];
}

TEST(manifest_errors, builtin_names_and_exclusive_ways_to_run) {
    EXPECT_EQ(
        problems("name: a\nbuiltin: kafka\n"),
        std::vector<std::string>{"wordcount.yaml:2:10: computation 'a': builtin 'kafka' is "
                                 "not one of generator, stdout, file, file-source, rolling-file, "
                                 "postgres-sink, mysql-sink, kafka-source, kafka-sink"});
    const auto both = problems("name: a\nbuiltin: stdout\nlibrary: /bin/sh\nclass: a\n");
    ASSERT_EQ(both.size(), 1u);
    EXPECT_EQ(both[0],
              "wordcount.yaml:3:10: computation 'a': 'builtin', 'library' and 'command' "
              "are exclusive: choose one");
    EXPECT_EQ(problems("name: a\nbuiltin: stdout\nclass: a\n"),
              std::vector<std::string>{
                  "wordcount.yaml:3:8: computation 'a': 'class' goes with 'library'"});
    EXPECT_EQ(problems("name: a\nlibrary: /bin/sh\n"),
              std::vector<std::string>{"wordcount.yaml:2:10: computation 'a': 'library' needs "
                                       "'class': the name the library exports"});
    EXPECT_EQ(problems("name: a\nlibrary: /bin/sh\nclass: my-class\n"),
              std::vector<std::string>{
                  "wordcount.yaml:3:8: computation 'a': class 'my-class' is not a C++ identifier"});
}

TEST(manifest, command_runs_in_the_manifest_directory) {
    auto parsed = parse_manifest(
        "name: a\ncommand: [python3, wordcount.py, counter]\ntimeout: 2.5\ninputs: [w]\n",
        "/srv/jobs/wc.yaml");
    ASSERT_TRUE(parsed) << parsed.error().message;
    const auto& spec = parsed->computations.at(0);
    EXPECT_EQ(spec.command, (std::vector<std::string>{"python3", "wordcount.py", "counter"}));
    EXPECT_EQ(spec.workdir, "/srv/jobs");
    EXPECT_FALSE(spec.attach);
    EXPECT_EQ(spec.timeout_ms, 2500u);

    auto attached = parse_manifest("name: a\nattach: true\n", "/srv/jobs/wc.yaml");
    ASSERT_TRUE(attached) << attached.error().message;
    EXPECT_TRUE(attached->computations.at(0).attach);
    EXPECT_TRUE(attached->computations.at(0).command.empty());
}

TEST(manifest_errors, command_attach_and_timeout) {
    EXPECT_EQ(problems("name: a\ncommand: []\n"),
              std::vector<std::string>{"wordcount.yaml:2:10: computation 'a': 'command' must be "
                                       "a non-empty list: the program and its arguments"});
    EXPECT_EQ(problems("name: a\ncommand: [x]\ntimeout: 0\n"),
              std::vector<std::string>{"wordcount.yaml:3:10: computation 'a': 'timeout' must be "
                                       "a number of seconds above 0 and at most 86400, not '0'"});
    EXPECT_EQ(problems("name: a\nbuiltin: stdout\ntimeout: 3\n"),
              std::vector<std::string>{"wordcount.yaml:3:10: computation 'a': 'timeout' applies "
                                       "to a 'command' computation only"});
    EXPECT_EQ(problems("name: a\ncommand: [x]\nattach: maybe\n"),
              std::vector<std::string>{"wordcount.yaml:3:9: computation 'a': 'attach' must be "
                                       "true or false, not 'maybe'"});
    EXPECT_EQ(problems("name: a\nbuiltin: stdout\ncommand: [x]\n").size(), 1u);
}

TEST_F(manifest_dir, library_must_exist_and_be_a_file) {
    const auto file = (_dir / "m.yaml").string();
    const auto missing =
        parse_manifest("name: a\nlibrary: lib/nope.so\nclass: a\n", _dir / "m.yaml");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message,
              file + ":2:10: computation 'a': library 'lib/nope.so' does not exist (looked for " +
                  (_dir / "lib" / "nope.so").string() + ")\n");
    const auto directory = parse_manifest("name: a\nlibrary: lib\nclass: a\n", _dir / "m.yaml");
    ASSERT_FALSE(directory);
    EXPECT_EQ(directory.error().message,
              file + ":2:10: computation 'a': library 'lib' is not a regular file (" +
                  (_dir / "lib").string() + ")\n");
}

TEST(manifest_errors, delivery_streams_config_environment_resources) {
    EXPECT_EQ(problems("name: a\nbuiltin: stdout\ndelivery: exactly-once\n"),
              std::vector<std::string>{"wordcount.yaml:3:11: computation 'a': delivery "
                                       "'exactly-once' is not one of at_most_once, at_least_once, "
                                       "exactly_once"});
    EXPECT_EQ(problems("name: a\nbuiltin: generator\noutputs: [ok, not/ok, ok]\n"),
              (std::vector<std::string>{
                  "wordcount.yaml:3:15: computation 'a': stream name 'not/ok' may only contain "
                  "letters, digits, '_', '.' and '-'",
                  "wordcount.yaml:3:23: computation 'a': stream 'ok' is listed twice in "
                  "'outputs'"}));
    EXPECT_EQ(problems("name: a\nbuiltin: generator\nconfig:\n  nested: {x: 1}\n"),
              std::vector<std::string>{"wordcount.yaml:4:11: computation 'a': config 'nested' "
                                       "must be a single value, not a map (quote '' for an empty "
                                       "string)"});
    EXPECT_EQ(problems("name: a\nbuiltin: generator\nenvironment:\n  1BAD: x\n"),
              std::vector<std::string>{
                  "wordcount.yaml:4:3: computation 'a': 'environment' name '1BAD' is not valid"});
    EXPECT_EQ(problems("name: a\nbuiltin: generator\nresources: {cpu: -1, memory: 12Q, gpu: 1}\n"),
              (std::vector<std::string>{
                  "wordcount.yaml:3:18: computation 'a': cpu '-1' is not a positive number of "
                  "cores (0.5) or millicores (500m)",
                  "wordcount.yaml:3:30: computation 'a': memory '12Q' is not a positive size such "
                  "as 256Mi, 1Gi, 500M or 1048576",
                  "wordcount.yaml:3:35: computation 'a': resources: unknown key 'gpu' (did you "
                  "mean 'cpu'? known keys: cpu, memory)"}));
}

TEST(manifest_errors, shape_of_the_file) {
    EXPECT_EQ(problems(""),
              std::vector<std::string>{"wordcount.yaml: the manifest describes no computations"});
    EXPECT_EQ(problems("- a\n- b\n"),
              std::vector<std::string>{"wordcount.yaml:1:1: a manifest is a map: one "
                                       "computation's keys, or 'computations:' with a list, not a "
                                       "list"});
    EXPECT_EQ(
        problems("computations: {a: 1}\n"),
        std::vector<std::string>{"wordcount.yaml:1:15: 'computations' must be a list, not a map"});
    EXPECT_EQ(problems("computations: []\nversion: 2\n"),
              (std::vector<std::string>{"wordcount.yaml:2:1: top level: unknown key 'version' "
                                        "(known keys: computations)"}));
    const auto missing = parse_manifest_file("/nonexistent/eddy.yaml");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message,
              "/nonexistent/eddy.yaml: cannot read the manifest: no such file\n");
}

TEST(manifest_errors, every_problem_is_reported_at_once_and_nothing_is_returned) {
    const auto parsed = parse_manifest(R"(computations:
  - name: splitter
    builtin: generator
    instances: 0
    delivery: sometimes
  - name: counter
    builtin: stdout
    inputs:
      - {stream: words, grouping: hash}
    paralelism: 3
)",
                                       "wordcount.yaml");
    ASSERT_FALSE(parsed);
    const auto& errors = parsed.error();
    ASSERT_EQ(errors.problems.size(), 4u) << errors.message;
    EXPECT_EQ(errors.problems[0].line, 4);
    EXPECT_EQ(errors.problems[0].column, 16);
    EXPECT_EQ(errors.problems[1].line, 5);
    EXPECT_EQ(errors.problems[2].line, 9);
    EXPECT_EQ(errors.problems[3].line, 10);
    EXPECT_EQ(errors.problems[3].column, 5);
    EXPECT_EQ(errors.message,
              errors.problems[0].to_string() + "\n" + errors.problems[1].to_string() + "\n" +
                  errors.problems[2].to_string() + "\n" + errors.problems[3].to_string() + "\n");
}

}  // namespace
}  // namespace eddy::control
