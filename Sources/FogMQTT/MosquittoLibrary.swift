internal import CMosquitto
import Glibc

/// Process-wide libmosquitto set-up and return-code helpers.
enum MosquittoLibrary {
    /// `mosquitto_lib_init` must run once per process before the first handle and is not
    /// itself thread-safe; a static `let` runs its initializer exactly once, under a lock.
    /// It is never paired with `mosquitto_lib_cleanup`: handles may live until exit.
    private static let initialization: Int32 = mosquitto_lib_init()

    /// Initializes libmosquitto on first use; returns its result code.
    static func initialize() -> Int32 {
        initialization
    }

    static let success = MOSQ_ERR_SUCCESS.rawValue

    /// libmosquitto's text for a `MOSQ_ERR_*` code; for `MOSQ_ERR_ERRNO`, the current errno's.
    static func describe(_ code: Int32, errno savedErrno: Int32? = nil) -> String {
        if code == MOSQ_ERR_ERRNO.rawValue, let savedErrno {
            return String(cString: strerror(savedErrno))
        }
        return String(cString: mosquitto_strerror(code))
    }
}
