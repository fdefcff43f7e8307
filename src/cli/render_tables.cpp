#include "detail/json_fields.hpp"
#include "detail/text_table.hpp"
#include "render.hpp"

namespace eddy::cli {

using detail::align;
using detail::count;
using detail::list;
using detail::text;

namespace {

// The pid of an instance that is not running is 0 or absent.
std::string pid_text(const nlohmann::json& instance) {
    const auto* pid = detail::field(instance, "pid");
    return pid == nullptr || (pid->is_number() && pid->get<double>() == 0) ? "-"
                                                                           : text(instance, "pid");
}

}  // namespace

std::string render_computations(const nlohmann::json& answer) {
    const auto& computations = list(answer, "computations");
    if (computations.empty()) {
        return "no computations (`eddy deploy FILE` deploys some)\n";
    }
    detail::text_table table({{"NAME"},
                              {"STATUS"},
                              {"INSTANCES", align::right},
                              {"DELIVERY"},
                              {"RECORDS/S IN", align::right},
                              {"RECORDS/S OUT", align::right}});
    std::string errors;
    for (const auto& computation : computations) {
        table.add_row({text(computation, "name"), text(computation, "status"),
                       text(computation, "instances"), text(computation, "delivery"),
                       text(computation, "records_in_per_second"),
                       text(computation, "records_out_per_second")});
        const auto* last_error = detail::field(computation, "last_error");
        if (last_error != nullptr && last_error->is_string() &&
            !last_error->get<std::string>().empty()) {
            errors +=
                fmt::format("{}: {}\n", text(computation, "name"), last_error->get<std::string>());
        }
    }
    return errors.empty() ? table.render() : table.render() + "\n" + errors;
}

std::string render_instances(const nlohmann::json& answer) {
    const auto& instances = list(answer, "instances");
    if (instances.empty()) {
        return "no instances\n";
    }
    detail::text_table table({{"COMPUTATION"},
                              {"INDEX", align::right},
                              {"ID", align::right},
                              {"PID", align::right},
                              {"STATE"},
                              {"RESTARTS", align::right},
                              {"RECORDS IN", align::right},
                              {"RECORDS OUT", align::right},
                              {"DROPPED", align::right}});
    for (const auto& instance : instances) {
        const auto* counters = detail::field(instance, "counters");
        const auto& numbers = counters != nullptr ? *counters : nlohmann::json::object();
        table.add_row({text(instance, "computation"), text(instance, "index"), text(instance, "id"),
                       pid_text(instance), text(instance, "state"), count(instance, "restarts"),
                       count(numbers, "records_in"), count(numbers, "records_out"),
                       count(numbers, "records_dropped")});
    }
    return table.render();
}

std::string render_status(const nlohmann::json& answer, std::string_view api_url) {
    detail::text_table table({{}, {}});
    table.add_row({"home", text(answer, "home")});
    table.add_row({"api", std::string(api_url)});
    table.add_row({"pid", text(answer, "pid")});
    table.add_row({"version", text(answer, "version")});
    const auto uptime = text(answer, "uptime_seconds");
    table.add_row({"uptime", uptime == "-" ? uptime : uptime + " s"});
    table.add_row({"computations", text(answer, "computations")});
    table.add_row({"instances", text(answer, "instances")});
    table.add_row({"epoch", text(answer, "epoch")});
    return table.render();
}

}  // namespace eddy::cli
