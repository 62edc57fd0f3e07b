#include "report.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "payments/core/time.hpp"
#include "payments/json/json.hpp"
#include "proc_stats.hpp"

namespace payments::loadgen {

namespace {

struct Scenario {
  std::string text;
  rapidjson::Document doc;
};

// The number at a dotted path, or NaN when absent.
double number_at(const rapidjson::Value& root, const std::string& path) {
  const rapidjson::Value* v = &root;
  std::istringstream parts(path);
  for (std::string part; std::getline(parts, part, '.');) {
    if (!v->IsObject()) return NAN;
    auto it = v->FindMember(part.c_str());
    if (it == v->MemberEnd()) return NAN;
    v = &it->value;
  }
  return v->IsNumber() ? v->GetDouble() : NAN;
}

std::vector<double> series_at(const rapidjson::Value& root, const char* name) {
  std::vector<double> out;
  if (!root.IsObject() || !root.HasMember(name) || !root[name].IsArray()) return out;
  for (const auto& v : root[name].GetArray()) out.push_back(v.GetDouble());
  return out;
}

std::string cell(double value, int decimals = 0) {
  if (std::isnan(value)) return "-";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

struct Target {
  std::string id;
  std::string what;
  std::string scenario;
  std::string path;
  bool at_least = true;  // else: below
  double bound = 0;
  double measured = NAN;
  [[nodiscard]] bool met() const { return !std::isnan(measured) && (at_least ? measured >= bound : measured < bound); }
};

// A polyline chart in the box (x, y, w, h) for each series; x is the index.
void chart(std::ostringstream& svg, double x, double y, double w, double h, const std::string& title,
           const std::string& x_label, const std::vector<std::pair<std::string, std::vector<double>>>& series,
           double x_scale = 1) {
  static const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};
  double max_y = 1;
  std::size_t max_n = 2;
  for (const auto& [name, values] : series) {
    for (double v : values) max_y = std::max(max_y, v);
    max_n = std::max(max_n, values.size());
  }
  max_y *= 1.1;
  svg << "<text x='" << x + w / 2 << "' y='" << y - 10 << "' text-anchor='middle' font-weight='bold'>" << title
      << "</text>\n";
  svg << "<rect x='" << x << "' y='" << y << "' width='" << w << "' height='" << h
      << "' fill='none' stroke='#888'/>\n";
  for (int tick = 0; tick <= 4; ++tick) {
    const double ty = y + h - h * tick / 4.0;
    svg << "<text x='" << x - 5 << "' y='" << ty + 4 << "' text-anchor='end'>" << cell(max_y * tick / 4.0)
        << "</text>\n";
    svg << "<line x1='" << x << "' y1='" << ty << "' x2='" << x + w << "' y2='" << ty << "' stroke='#eee'/>\n";
  }
  svg << "<text x='" << x + w / 2 << "' y='" << y + h + 30 << "' text-anchor='middle'>" << x_label << " (0 to "
      << cell(static_cast<double>(max_n - 1) * x_scale) << ")</text>\n";
  for (std::size_t s = 0; s < series.size(); ++s) {
    const auto& [name, values] = series[s];
    svg << "<polyline fill='none' stroke-width='1.5' stroke='" << kColours[s % 4] << "' points='";
    for (std::size_t i = 0; i < values.size(); ++i) {
      svg << x + w * static_cast<double>(i) / static_cast<double>(max_n - 1) << ","
          << y + h - h * values[i] / max_y << " ";
    }
    svg << "'/>\n<text x='" << x + 8 << "' y='" << y + 16 + 16 * static_cast<double>(s) << "' fill='"
        << kColours[s % 4] << "'>" << name << "</text>\n";
  }
}

}  // namespace

std::string fixed(double value, int decimals) {
  if (!std::isfinite(value)) return "null";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

const std::set<std::string>& report_options() {
  static const std::set<std::string> options = {"--out", "--svg", "--stripe-latency-ms", "--partitions",
                                                "--stripe-paced-rate"};
  return options;
}

int write_report(const Arguments& args) {
  std::map<std::string, Scenario> scenarios;
  std::vector<std::string> order;
  for (const auto& path : args.positional()) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    Scenario s{text.str(), {}};
    while (!s.text.empty() && (s.text.back() == '\n' || s.text.back() == ' ')) s.text.pop_back();
    auto doc = json::parse(s.text, {.max_bytes = s.text.size() + 1, .max_depth = 8});
    if (!doc) {
      std::fprintf(stderr, "payments-loadgen report: %s: %s\n", path.c_str(), doc.error().message.c_str());
      return 1;
    }
    s.doc = std::move(doc).value();
    const std::string name = s.doc["scenario"].GetString();
    order.push_back(name);
    scenarios.emplace(name, std::move(s));
  }
  auto value = [&](const std::string& scenario, const std::string& path) {
    auto it = scenarios.find(scenario);
    return it == scenarios.end() ? NAN : number_at(it->second.doc, path);
  };

  const double concurrent = value("kafka_backlog", "completed_per_s");
  const double sequential = value("kafka_backlog_sequential", "completed_per_s");
  const double ratio = concurrent / sequential;
  std::vector<Target> targets = {
      {"worker_completed_per_s", "one worker completed/s (Kafka backlog)", "kafka_backlog", "completed_per_s", true, 2000},
      {"sequential_ratio", "concurrent / sequential completed/s", "", "", true, 40},
      {"api_accepted_per_s", "API accepted/s (closed loop)", "api_max", "accepted_per_s", true, 10000},
      {"api_p99_ms", "API p99 response ms", "api_max", "api_latency_ms.p99", false, 20},
      {"end_to_end_p99_ms", "end-to-end p99 ms at 1,000/s offered", "open_loop", "end_to_end_ms.p99", false, 400},
      {"worker_rss_mb", "worker peak RSS MB, ~1,000 in flight", "kafka_backlog", "processes.worker.vm_hwm_mb", false, 150},
  };
  for (auto& t : targets) t.measured = t.scenario.empty() ? ratio : value(t.scenario, t.path);
  // Stripe pacing: the paced backlog's completed/s as a share of the bucket's rate.
  const double paced_rate = std::atof(args.text("--stripe-paced-rate", "0").c_str());
  const bool paced_run = scenarios.contains("stripe_paced") && paced_rate > 0;
  if (paced_run) {
    targets.push_back({"paced_share_percent", "paced completed/s, % of the bucket's rate", "", "", true, 95,
                       value("stripe_paced", "completed_per_s") / paced_rate * 100});
  }

  // Authentication's cost: api_front (a key on every request) against api_front_noauth (the same load on
  // payments-api-without-auth), run one after the other. The bound: within 5 % of the figure without.
  const bool auth_compared = scenarios.contains("api_front") && scenarios.contains("api_front_noauth");
  const double with_key = value("api_front", "accepted_per_s");
  const double without_key = value("api_front_noauth", "accepted_per_s");
  const double auth_ratio = with_key / without_key;
  const double cpu_with_key = value("api_front", "processes.api.cpu_ms_per_payment");
  const double cpu_without_key = value("api_front_noauth", "processes.api.cpu_ms_per_payment");
  const bool auth_within = auth_ratio >= 0.95;

  bool charges_ok = true;
  for (const auto& name : order) {
    const auto& doc = scenarios.at(name).doc;
    if (doc.HasMember("charges") && doc["charges"]["checked"].GetBool() && !doc["charges"]["ok"].GetBool()) {
      charges_ok = false;
    }
  }

  const auto machine = read_machine();
  json::Builder out;
  out.begin_object();
  out.field("generated_at", rfc3339_now());
  out.key("machine").begin_object();
  out.field("nproc", static_cast<std::int64_t>(machine.cpus));
  out.field("cpu_model", machine.cpu_model);
  out.field("memory_mb", machine.memory_kb / 1024);
  out.field("kernel", machine.kernel);
  out.end_object();
  out.key("settings").begin_object();
  out.field("stripe_latency_ms", static_cast<std::int64_t>(std::atoll(args.text("--stripe-latency-ms", "0").c_str())));
  out.field("partitions", static_cast<std::int64_t>(std::atoll(args.text("--partitions", "0").c_str())));
  out.end_object();
  out.key("sequential_baseline").begin_object();
  out.key("concurrent_completed_per_s").raw(fixed(concurrent));
  out.key("sequential_completed_per_s").raw(fixed(sequential));
  out.key("ratio").raw(fixed(ratio, 2));
  out.end_object();
  out.key("targets").begin_object();
  for (const auto& t : targets) {
    out.key(t.id).begin_object().field("what", t.what).field("comparison", t.at_least ? ">=" : "<");
    out.key("bound").raw(fixed(t.bound)).key("measured").raw(fixed(t.measured)).key("met").value(t.met());
    out.end_object();
  }
  out.end_object();
  if (auth_compared) {
    out.key("authentication_cost").begin_object();
    out.key("accepted_per_s_with_key").raw(fixed(with_key));
    out.key("accepted_per_s_without").raw(fixed(without_key));
    out.key("ratio").raw(fixed(auth_ratio));
    out.key("api_cpu_ms_per_request_with_key").raw(fixed(cpu_with_key, 4));
    out.key("api_cpu_ms_per_request_without").raw(fixed(cpu_without_key, 4));
    out.key("within_5_percent").value(auth_within);
    out.end_object();
  }
  out.key("charges_ok").value(charges_ok);
  out.key("scenarios").begin_object();
  for (const auto& name : order) out.key(name).raw(scenarios.at(name).text);
  out.end_object();
  out.end_object();
  std::ofstream(args.text("--out", "results.json")) << out.str() << "\n";

  // The human table.
  std::printf("\nmachine: %ld CPUs, %s, %lld MB, %s; Stripe simulator latency %s ms, %s partitions\n\n",
              machine.cpus, machine.cpu_model.c_str(), static_cast<long long>(machine.memory_kb / 1024),
              machine.kernel.c_str(), args.text("--stripe-latency-ms", "?").c_str(),
              args.text("--partitions", "?").c_str());
  std::printf("%-25s %9s %10s %14s %11s %20s %7s %14s %14s\n", "scenario", "accepted", "accepted/s",
              "API p50/p99 ms", "completed/s", "e2e p50/p95/p99 ms", "errors", "worker MB/CPUs", "api MB/CPUs");
  for (const auto& name : order) {
    const auto& d = scenarios.at(name).doc;
    const bool api = std::string(d["mode"].GetString()) == "api";
    const auto errors = number_at(d, "errors.transport") + number_at(d, "errors.rejected");
    std::printf("%-25s %9s %10s %14s %11s %20s %7s %14s %14s\n", name.c_str(), cell(number_at(d, "accepted")).c_str(),
                cell(number_at(d, "accepted_per_s")).c_str(),
                api ? (cell(number_at(d, "api_latency_ms.p50"), 1) + " / " + cell(number_at(d, "api_latency_ms.p99"), 1)).c_str()
                    : "-",
                cell(number_at(d, "completed_per_s")).c_str(),
                d["tracked"].GetBool()
                    ? (cell(number_at(d, "end_to_end_ms.p50")) + " / " + cell(number_at(d, "end_to_end_ms.p95")) + " / " +
                       cell(number_at(d, "end_to_end_ms.p99"))).c_str()
                    : "-",
                cell(errors).c_str(),
                (cell(number_at(d, "processes.worker.vm_hwm_mb")) + " / " +
                 cell(number_at(d, "processes.worker.cpu_seconds"), 1)).c_str(),
                (cell(number_at(d, "processes.api.vm_hwm_mb")) + " / " + cell(number_at(d, "processes.api.cpu_seconds"), 1))
                    .c_str());
  }
  std::printf("\nCPU seconds during each scenario's window (ms per payment), and MariaDB statements per payment:\n");
  for (const auto& name : order) {
    const auto& d = scenarios.at(name).doc;
    std::string line;
    double watched_cpu = 0;
    for (const auto& p : d["processes"].GetObject()) {
      watched_cpu += p.value["cpu_seconds"].GetDouble();
      line += std::string(" ") + p.name.GetString() + " " + cell(p.value["cpu_seconds"].GetDouble(), 1) + " (" +
              cell(p.value["cpu_ms_per_payment"].GetDouble(), 2) + ")";
    }
    // What the machine spent outside the watched processes: more than about a tenth of a CPU second per
    // second of window means something else ran meanwhile, and the scenario's figures are disturbed.
    const double busy = number_at(d, "machine_busy_cpu_seconds");
    line = "  " + name + " (" + cell(number_at(d, "window_seconds"), 1) + " s, machine busy " + cell(busy, 1) +
           " CPU s, " + cell(busy - watched_cpu, 1) + " of it outside these):" + line;
    std::printf("%s\n", line.c_str());
    std::string db = "    db per payment:";
    for (const auto& c : d["database"].GetObject()) {
      db += std::string(" ") + c.name.GetString() + " " + cell(c.value["per_payment"].GetDouble(), 2);
    }
    if (d["database"].MemberCount() > 0) std::printf("%s\n", db.c_str());
    const auto& statuses = d["errors"]["http_statuses"];
    if (statuses.MemberCount() > 0) {
      std::string answers = "    API answers:";
      for (const auto& st : statuses.GetObject()) {
        answers += std::string(" ") + st.name.GetString() + " x" + cell(st.value.GetDouble());
      }
      std::printf("%s\n", answers.c_str());
    }
    if (const std::string first = d["errors"]["first"].GetString(); !first.empty()) {
      std::printf("    first error: %.160s\n", first.c_str());
    }
  }
  std::printf("\nworker --max-in-flight concurrency vs --sequential: %s vs %s completed/s = %sx\n",
              cell(concurrent).c_str(), cell(sequential, 1).c_str(), cell(ratio, 1).c_str());
  if (auth_compared) {
    const double cpu_change = (cpu_with_key / cpu_without_key - 1) * 100;
    const std::string cpu_change_text = (cpu_change >= 0 ? "+" : "") + cell(cpu_change, 1);
    std::printf("\nauthentication's cost, api_front (a key on every request) vs api_front_noauth (none): %s vs %s "
                "accepted/s = %s; API CPU %s vs %s ms per request (%s %%): %s\n",
                cell(with_key).c_str(), cell(without_key).c_str(), cell(auth_ratio, 3).c_str(),
                cell(cpu_with_key, 3).c_str(), cell(cpu_without_key, 3).c_str(), cpu_change_text.c_str(),
                auth_within ? "within 5 %" : "MORE THAN 5 % WORSE");
  }
  if (paced_run) {
    std::printf("\nStripe pacing at %s requests/s (simulator limited to Stripe's 100/s): %s completed/s = %s %% of "
                "the bucket, end-to-end p99 %s ms, %s 429s\n",
                cell(paced_rate).c_str(), cell(value("stripe_paced", "completed_per_s"), 1).c_str(),
                cell(value("stripe_paced", "completed_per_s") / paced_rate * 100, 1).c_str(),
                cell(value("stripe_paced", "end_to_end_ms.p99")).c_str(),
                cell(value("stripe_paced", "stripe_rate_limited")).c_str());
  }
  std::printf("\n%-42s %8s %10s  %s\n", "target", "bound", "measured", "");
  for (const auto& t : targets) {
    std::printf("%-42s %2s%6s %10s  %s\n", t.what.c_str(), t.at_least ? ">=" : "<", cell(t.bound).c_str(),
                cell(t.measured, 1).c_str(), t.met() ? "met" : "MISSED");
  }
  std::printf("\nsimulator record (exactly one charge per payment id): %s\n", charges_ok ? "ok" : "FAILED");

  if (const auto svg_path = args.text("--svg"); !svg_path.empty()) {
    std::ostringstream svg;
    svg << "<svg xmlns='http://www.w3.org/2000/svg' width='1000' height='380' font-family='sans-serif' "
           "font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n";
    std::vector<std::pair<std::string, std::vector<double>>> throughput;
    if (scenarios.contains("kafka_backlog")) {
      throughput.emplace_back("completed/s, Kafka backlog", series_at(scenarios.at("kafka_backlog").doc, "completed_per_second"));
    }
    if (scenarios.contains("api_max")) {
      throughput.emplace_back("accepted/s, API closed loop", series_at(scenarios.at("api_max").doc, "accepted_per_second"));
    }
    if (scenarios.contains("open_loop")) {
      throughput.emplace_back("completed/s, open loop", series_at(scenarios.at("open_loop").doc, "completed_per_second"));
    }
    chart(svg, 70, 40, 380, 280, "Throughput over time (per second)", "seconds", throughput);
    std::vector<std::pair<std::string, std::vector<double>>> latency;
    if (scenarios.contains("open_loop")) {
      latency.emplace_back("end-to-end ms, open loop", series_at(scenarios.at("open_loop").doc, "end_to_end_quantiles_ms"));
    }
    chart(svg, 570, 40, 380, 280, "End-to-end latency by percentile (ms)", "percentile", latency, 1);
    svg << "</svg>\n";
    std::ofstream(svg_path) << svg.str();
  }
  return charges_ok ? 0 : 3;
}

}  // namespace payments::loadgen
