#include "ad_events.hpp"

#include "connectors/options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace adtech {

namespace {

using eddy::connectors::derive_seed;
using eddy::connectors::xoshiro256;

constexpr std::uint64_t fraudster_salt = 0xf4a0d;
constexpr std::uint64_t campaign_salt = 0xc4a9;
constexpr std::uint64_t max_click_delay = 200;

std::vector<std::uint64_t> draw_fraudsters(const ad_event_options& o) {
    xoshiro256 rng(derive_seed(o.seed, fraudster_salt));
    std::vector<std::uint64_t> users;
    while (users.size() < o.fraud_users) {
        const auto user = rng.below(o.users);
        if (std::find(users.begin(), users.end(), user) == users.end()) {
            users.push_back(user);
        }
    }
    return users;
}

void validate(const ad_event_options& o) {
    auto invalid = [](std::string_view what) {
        throw std::invalid_argument(fmt::format("ad_events: {}", what));
    };
    if (o.users == 0 || o.users > 1'000'000) {
        invalid("option 'users' must be between 1 and 1000000");
    }
    if (o.campaigns == 0 || o.campaigns > 100) {
        invalid("option 'campaigns' must be between 1 and 100");
    }
    if (o.fraud_users > o.users / 2) {
        invalid("option 'fraud_users' must be at most half of 'users'");
    }
    if (o.fraud_users > 0 && (o.fraud_every <= o.fraud_users || o.burst_spacing == 0)) {
        invalid("options 'fraud_every' must exceed 'fraud_users' and 'burst_spacing' be >= 1");
    }
}

}  // namespace

std::string format_event(const ad_event& e) {
    return fmt::format("{} {} {}", e.kind == ad_event_kind::click ? "click" : "imp", e.user,
                       e.campaign);
}

std::optional<ad_event> parse_event(std::string_view value) {
    const auto first = value.find(' ');
    const auto second = first == std::string_view::npos ? first : value.find(' ', first + 1);
    if (second == std::string_view::npos || value.find(' ', second + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    ad_event e;
    const auto kind = value.substr(0, first);
    if (kind == "imp") {
        e.kind = ad_event_kind::impression;
    } else if (kind == "click") {
        e.kind = ad_event_kind::click;
    } else {
        return std::nullopt;
    }
    e.user = std::string(value.substr(first + 1, second - first - 1));
    e.campaign = std::string(value.substr(second + 1));
    if (e.user.empty() || e.campaign.empty()) {
        return std::nullopt;
    }
    return e;
}

std::string user_name(std::uint64_t user) {
    return fmt::format("u{:06}", user);
}
std::string campaign_name(std::uint64_t campaign) {
    return fmt::format("c{:02}", campaign);
}

std::set<std::string> injected_fraud_users(const ad_event_options& options) {
    std::set<std::string> names;
    for (auto user : draw_fraudsters(options)) {
        names.insert(user_name(user));
    }
    return names;
}

std::uint64_t organic_ctr_ppm(const ad_event_options& options, std::uint64_t campaign) {
    // Between 0.5% and 6%, fixed per (seed, campaign).
    xoshiro256 rng(derive_seed(options.seed, campaign_salt + campaign));
    return rng.between(5'000, 60'000);
}

ad_event_maker::ad_event_maker(const ad_event_options& options)
    : _options(options),
      _fraudsters((validate(options), draw_fraudsters(options))),
      _campaign_skew(options.campaigns) {
    xoshiro256 rng(derive_seed(options.seed, fraudster_salt + 1));
    for (std::size_t i = 0; i < _fraudsters.size(); ++i) {
        _fraud_campaigns.push_back(rng.below(options.campaigns));
    }
    for (std::uint64_t c = 0; c < options.campaigns; ++c) {
        _ctr_ppm.push_back(organic_ctr_ppm(options, c));
    }
}

void ad_event_maker::schedule(std::uint64_t index, std::uint64_t user, std::uint64_t campaign) {
    _clicks.push({index, _scheduled++, user, campaign});
}

ad_event ad_event_maker::make(std::uint64_t index, xoshiro256& rng) {
    const auto fraud_count = _fraudsters.size();
    if (fraud_count > 0) {
        const auto phase = index % _options.fraud_every;
        for (std::size_t j = 0; j < fraud_count; ++j) {
            if (phase == (j + 1) * _options.fraud_every / (fraud_count + 1)) {
                for (std::uint64_t k = 0; k < _options.burst_clicks; ++k) {
                    schedule(index + 1 + k * _options.burst_spacing, _fraudsters[j],
                             _fraud_campaigns[j]);
                }
            }
        }
    }
    if (!_clicks.empty() && _clicks.top().index <= index) {
        const auto click = _clicks.top();
        _clicks.pop();
        return {ad_event_kind::click, user_name(click.user), campaign_name(click.campaign)};
    }
    const auto user = rng.below(_options.users);
    const auto campaign = _campaign_skew.draw(rng);
    if (rng.chance(_ctr_ppm[campaign])) {
        schedule(index + rng.between(1, max_click_delay), user, campaign);
    }
    return {ad_event_kind::impression, user_name(user), campaign_name(campaign)};
}

ad_event_source::ad_event_source(ad_event_options options,
                                 eddy::connectors::generator_options source_options)
    : generator([&] {
          source_options.seed = options.seed;
          return std::move(source_options);
      }()),
      _options(options) {}

void ad_event_source::init(eddy::context& ctx) {
    auto reader = eddy::connectors::option_reader::of(ctx, metadata().name);
    auto& o = _options;
    o.users = reader.unsigned_integer("users").value_or(o.users);
    o.campaigns = reader.unsigned_integer("campaigns").value_or(o.campaigns);
    o.fraud_users = reader.unsigned_integer("fraud_users").value_or(o.fraud_users);
    o.fraud_every = reader.unsigned_integer("fraud_every").value_or(o.fraud_every);
    o.burst_clicks = reader.unsigned_integer("burst_clicks").value_or(o.burst_clicks);
    o.burst_spacing = reader.unsigned_integer("burst_spacing").value_or(o.burst_spacing);
    o.seed = reader.unsigned_integer("seed").value_or(o.seed);
    _maker.emplace(o);
    generator::init(ctx);
}

void ad_event_source::make_record(std::uint64_t index, eddy::connectors::xoshiro256& rng,
                                  eddy::connectors::generated_record& out) {
    auto event = _maker->make(index, rng);
    out.value = format_event(event);
    out.key = std::move(event.user);
}

}  // namespace adtech
