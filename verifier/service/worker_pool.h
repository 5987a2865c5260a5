// A fixed set of threads running submitted tasks in order of submission.
// The gRPC adapter runs attestation work here rather than on gRPC's
// polling threads, so verification uses every core and a task waiting on
// the database (group commit) does not stall the network.
#ifndef VTPM_VERIFIER_SERVICE_WORKER_POOL_H_
#define VTPM_VERIFIER_SERVICE_WORKER_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace vtpm::verifier {

class WorkerPool {
 public:
  // Starts `threads` threads (at least 1).
  explicit WorkerPool(int threads);
  // Runs the tasks already submitted, then joins the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; never blocks.
  void Submit(std::function<void()> task);

  // Tasks waiting (not yet started).
  size_t queued() const;

  // The default size: enough threads to keep every core busy while some
  // wait on the database.
  static int DefaultThreads();

 private:
  void Run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace vtpm::verifier

#endif  // VTPM_VERIFIER_SERVICE_WORKER_POOL_H_
