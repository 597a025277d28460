// The seam between the ingest writer and durable storage: append events, deduplicated by
// messageId, in one atomic write.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "cdp/event.h"
#include "cdp/status.h"

namespace cdp {

struct CommitOptions {
  // Sync the write-ahead log before returning (the durable default). Without it a crash of
  // the machine (not of the process) may lose the last writes.
  bool sync = true;
};

// Implementations are thread-safe, but the ingest pipeline calls Commit from one thread.
class EventStore {
 public:
  virtual ~EventStore() = default;

  // Appends each event whose message_id has not been stored before (within the dedup
  // retention) and records its message_id, all in one atomic write. On return ok,
  // (*stored)[i] is 1 when events[i] was appended and 0 when it was a duplicate (of a stored
  // event or of an earlier one in `events`). On error nothing was written.
  virtual Status Commit(std::span<const Event> events, const CommitOptions& options,
                        std::vector<std::uint8_t>* stored) = 0;

  // Distinct events in the durable log.
  virtual std::uint64_t EventCount() const = 0;
};

}  // namespace cdp
