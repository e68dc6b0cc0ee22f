/// The callers waiting for PUBACK/PUBCOMP, SUBACK and UNSUBACK, keyed by message id.
///
/// libmosquitto's loop thread can deliver an acknowledgement before the caller, which got
/// the message id from `mosquitto_publish_v5` on another thread, has recorded it; such
/// early results are kept by id until the caller binds. A caller that gave up (timeout,
/// cancellation) leaves its id marked abandoned so the late acknowledgement is discarded
/// instead of piling up. Every waiter is resumed exactly once: whoever removes it resumes it.
///
/// - Important: Not thread-safe; lives inside `ConnectionState` under its mutex.
struct PendingOperations {
    enum Kind: Sendable {
        case publish, subscribe, unsubscribe
    }

    /// What the broker answered: a reason code for PUBACK/PUBREC/PUBCOMP, the granted QoS or
    /// failure codes of a SUBACK, nothing for an UNSUBACK (libmosquitto 2.0 drops its codes).
    enum Completion: Sendable {
        case publish(reason: Int32)
        case subscribe(granted: [Int32])
        case unsubscribe
    }

    typealias Continuation = CheckedContinuation<Result<Completion, MQTTError>, Never>

    struct Waiter: Sendable {
        let kind: Kind
        let continuation: Continuation
        let timeout: Task<Void, Never>

        /// Resumes the caller; call outside the lock.
        func resume(_ result: Result<Completion, MQTTError>) {
            timeout.cancel()
            continuation.resume(returning: result)
        }
    }

    private var nextID: UInt64 = 0
    /// Ids handed out whose waiter is not registered yet; cancellation in that window is
    /// remembered in `cancelledBeforeRegistration`.
    private var allocated: Set<UInt64> = []
    private var cancelledBeforeRegistration: Set<UInt64> = []
    private var waiters: [UInt64: (waiter: Waiter, mid: Int32?)] = [:]
    private var waiterByMid: [Int32: UInt64] = [:]
    private var early: [Int32: Completion] = [:]
    private var abandoned: Set<Int32> = []

    var isEmpty: Bool { waiters.isEmpty }

    mutating func allocate() -> UInt64 {
        nextID &+= 1
        allocated.insert(nextID)
        return nextID
    }

    /// Registers the waiter; returns `false` if its task was cancelled in the meantime, in
    /// which case the caller resumes it with a cancellation error itself.
    mutating func register(_ id: UInt64, _ waiter: Waiter) -> Bool {
        allocated.remove(id)
        if cancelledBeforeRegistration.remove(id) != nil {
            return false
        }
        waiters[id] = (waiter, nil)
        return true
    }

    /// Records the message id libmosquitto assigned. Returns the waiter with its result if
    /// the acknowledgement already arrived.
    mutating func bind(_ id: UInt64, mid: Int32) -> (Waiter, Completion)? {
        guard let entry = waiters[id] else {
            // The caller gave up before the request was even sent.
            if early.removeValue(forKey: mid) == nil {
                abandoned.insert(mid)
            }
            return nil
        }
        if let completion = early.removeValue(forKey: mid) {
            waiters[id] = nil
            return (entry.waiter, completion)
        }
        waiters[id] = (entry.waiter, mid)
        waiterByMid[mid] = id
        return nil
    }

    /// An acknowledgement arrived; returns the waiter to resume, or keeps it for `bind`.
    mutating func complete(mid: Int32, _ completion: Completion) -> Waiter? {
        if let id = waiterByMid.removeValue(forKey: mid), let entry = waiters.removeValue(forKey: id) {
            return entry.waiter
        }
        if abandoned.remove(mid) == nil {
            early[mid] = completion
        }
        return nil
    }

    /// Removes one waiter (timeout, cancellation, a failed request).
    mutating func remove(_ id: UInt64) -> Waiter? {
        guard let entry = waiters.removeValue(forKey: id) else {
            return nil
        }
        if let mid = entry.mid {
            waiterByMid[mid] = nil
            abandoned.insert(mid)
        }
        return entry.waiter
    }

    /// Like `remove`, but also covers a cancellation that lands before `register`.
    mutating func cancel(_ id: UInt64) -> Waiter? {
        if allocated.contains(id) {
            cancelledBeforeRegistration.insert(id)
            return nil
        }
        return remove(id)
    }

    /// Removes every waiter of the given kinds (a lost connection loses SUBSCRIBEs, while
    /// libmosquitto resends unacknowledged PUBLISHes after a reconnect).
    mutating func removeAll(of kinds: Set<Kind>) -> [Waiter] {
        let ids = waiters.filter { kinds.contains($0.value.waiter.kind) }.map(\.key)
        return ids.compactMap { remove($0) }
    }

    /// Forgets early and abandoned acknowledgements: after the session is gone (clean start
    /// or closing) no acknowledgement for an older message id can arrive.
    mutating func forgetSessionResults() {
        early.removeAll()
        abandoned.removeAll()
    }
}
