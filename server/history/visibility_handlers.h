// Search attributes and visibility rows of the history service: the record a run's
// transition writes to the `visibility` column family (server/visibility/visibility_store.h),
// and the UpsertWorkflowSearchAttributes command. List and count reads are
// HistoryEngine::ListWorkflowExecutions / CountWorkflowExecutions (visibility_handlers.cc).
//
// The frontend has already checked and normalized the attributes against the namespace's
// registered ones (visibility::NormalizeSearchAttributes), so history stores them as given.
//
// Thread safety: pure functions; a Transition is used under its execution's lock.
#ifndef WEFT_SERVER_HISTORY_VISIBILITY_HANDLERS_H_
#define WEFT_SERVER_HISTORY_VISIBILITY_HANDLERS_H_

#include <cstdint>

#include "server/history/transition.h"
#include "weft/api/v1/command.pb.h"
#include "weft/internal/persistence.pb.h"

namespace weft::history {

// The visibility record of a run as its mutable state has it now.
internal::VisibilityRecord VisibilityRecordOf(const internal::MutableState& ms);

// Appends the UpsertWorkflowSearchAttributes event, merges the attributes into the run (a
// JSON null removes one) and rewrites its visibility record and index rows in the same batch.
void ApplyUpsertSearchAttributes(Transition& tr,
                                 const api::v1::UpsertWorkflowSearchAttributesCommandAttributes& a,
                                 int64_t completed_id);

}  // namespace weft::history

#endif  // WEFT_SERVER_HISTORY_VISIBILITY_HANDLERS_H_
