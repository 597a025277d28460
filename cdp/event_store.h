// The seam between the ingest writer and durable storage: append events, deduplicated by
// messageId, in one atomic write.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "cdp/event.h"
#include "cdp/graph_delta.h"
#include "cdp/status.h"

namespace cdp {

// In-memory state derived from the event log (the identity graph) that must stay in step with
// it: Commit hands it the newly stored events and writes the changes it reports in the same
// atomic write.
class CommitApplier {
 public:
  virtual ~CommitApplier() = default;
  // Called once per Commit, before the write, with the events that are being appended (in log
  // order, never duplicates) and their sequences. Fills `delta` (empty on entry).
  virtual void Apply(std::span<const Event* const> events, std::span<const std::uint64_t> sequences,
                     GraphDelta* delta) = 0;
  // The write that followed the last Apply failed: the applier's memory is ahead of storage
  // and must be restored from it.
  virtual void Abandon() = 0;
};

struct CommitOptions {
  // Sync the write-ahead log before returning (the durable default). Without it a crash of
  // the machine (not of the process) may lose the last writes.
  bool sync = true;
  // Applied to the newly stored events, inside the write; not owned. Null for none.
  CommitApplier* applier = nullptr;
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

  // Writes graph changes made outside Commit (an operator's split) in one atomic write, with
  // options.sync; options.applier is ignored. On error nothing was written.
  virtual Status CommitGraph(const GraphDelta& delta, const CommitOptions& options) = 0;

  // The sequence of the newest stored event (0 when none).
  virtual std::uint64_t LastSequence() const = 0;

  // Distinct events in the durable log.
  virtual std::uint64_t EventCount() const = 0;
};

}  // namespace cdp
