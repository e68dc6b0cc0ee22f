import Foundation

/// Products built alongside this executable.
enum BuiltProducts {
    /// `libcomsat.so` in the directory of the running `fog-bench` (`swift build` puts every
    /// product of a configuration in one directory).
    static var comsatPlugin: String { besideExecutable("libcomsat.so") }

    /// `fog-link` in the same directory.
    static var fogLink: String { besideExecutable("fog-link") }

    /// This executable, for scenarios that run parts of themselves in other processes.
    static var fogBench: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    private static func besideExecutable(_ name: String) -> String {
        URL(fileURLWithPath: fogBench).deletingLastPathComponent().appendingPathComponent(name).path
    }
}
