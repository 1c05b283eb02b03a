#include "server/app/runtime_metrics.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace weft::app {
namespace {

prometheus::MetricFamily Gauge(const std::string& name, const std::string& help, double value,
                               prometheus::MetricType type = prometheus::MetricType::Gauge) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(m);
  return f;
}

}  // namespace

std::vector<prometheus::MetricFamily> RuntimeMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  // /proc/self/stat fields 14 and 15 are user and system CPU in clock ticks, 23 the virtual
  // size in bytes and 24 the resident set in pages.
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (std::getline(stat, line)) {
    auto close = line.rfind(')');
    std::istringstream rest(line.substr(close + 2));
    std::vector<std::string> f;
    std::string tok;
    while (rest >> tok) f.push_back(tok);
    // f[0] is field 3 (state).
    if (f.size() > 21) {
      double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
      double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
      out.push_back(Gauge("process_cpu_seconds_total", "User and system CPU time spent", cpu,
                          prometheus::MetricType::Counter));
      out.push_back(Gauge("process_virtual_memory_bytes", "Virtual memory size", std::stod(f[20])));
      out.push_back(Gauge("process_resident_memory_bytes", "Resident memory size",
                          std::stod(f[21]) * static_cast<double>(sysconf(_SC_PAGESIZE))));
    }
  }
  std::error_code ec;
  size_t fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  out.push_back(Gauge("process_open_fds", "Open file descriptors", static_cast<double>(fds)));

  struct Prop {
    const char* rocks;
    const char* name;
    const char* help;
  };
  for (const Prop& p : {
           Prop{"rocksdb.estimate-live-data-size", "weft_storage_live_data_bytes",
                "Estimated live data in RocksDB"},
           Prop{"rocksdb.total-sst-files-size", "weft_storage_sst_bytes",
                "Size of all RocksDB SST files"},
           Prop{"rocksdb.cur-size-all-mem-tables", "weft_storage_memtable_bytes",
                "Size of RocksDB memtables"},
           Prop{"rocksdb.estimate-pending-compaction-bytes",
                "weft_storage_pending_compaction_bytes",
                "Bytes RocksDB estimates compaction must rewrite"},
           Prop{"rocksdb.is-write-stopped", "weft_storage_write_stopped",
                "Column families whose writes RocksDB has stopped (stall)"},
           Prop{"rocksdb.actual-delayed-write-rate", "weft_storage_delayed_write_rate",
                "Write rate RocksDB throttles to (0: not delayed)"},
       }) {
    if (auto v = store_->GetIntProperty(p.rocks)) {
      out.push_back(Gauge(p.name, p.help, static_cast<double>(*v)));
    }
  }
  return out;
}

}  // namespace weft::app
