internal import Glibc

/// Starts an OS thread for blocking work (reading a pipe) that must not occupy a thread of
/// Swift's cooperative pool, which has only as many threads as cores.
enum DetachedThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    static func start(_ body: @escaping @Sendable () -> Void) throws(ChildProcessError) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            let box = Unmanaged<Box>.fromOpaque(argument).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard result == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw ChildProcessError(
                .systemCall, "pthread_create failed: \(String(cString: strerror(result)))", systemError: result)
        }
        pthread_detach(thread)
    }
}
