// RuntimeMetrics: gauges read at scrape time about the process (CPU, memory, open files)
// and its RocksDB store (size, pending compaction, write stalls).
//
// Thread safety: Collect() is thread-safe (reads /proc and RocksDB properties).
// Ownership: borrows the Store, which must outlive it.
#ifndef WEFT_SERVER_APP_RUNTIME_METRICS_H_
#define WEFT_SERVER_APP_RUNTIME_METRICS_H_

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

#include "storage/store.h"

namespace weft::app {

class RuntimeMetrics : public prometheus::Collectable {
 public:
  explicit RuntimeMetrics(const storage::Store* store) : store_(store) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const storage::Store* const store_;
};

}  // namespace weft::app

#endif  // WEFT_SERVER_APP_RUNTIME_METRICS_H_
