import Foundation

/// Where tests find the package's files and the products built alongside them.
public enum TestPaths {
    /// The directory holding `Package.swift`.
    ///
    /// Found by walking up from this source file (valid while the checkout is where it was
    /// built), else from the running test binary (inside `.build*/` of the checkout), else the
    /// working directory, which `swift test` sets to the package root. `FOG_PACKAGE_ROOT`
    /// overrides all of them.
    public static let packageRoot: String = {
        if let override = environment("FOG_PACKAGE_ROOT") {
            return override
        }
        let candidates = [
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().path,
            runningExecutableDirectory,
            FileManager.default.currentDirectoryPath,
        ]
        for start in candidates {
            if let root = ancestor(of: start, containing: "Package.swift") {
                return root
            }
        }
        return FileManager.default.currentDirectoryPath
    }()

    /// The directory of the running executable (`/proc/self/exe`): for `swift test` this is the
    /// build products directory, where the package's libraries and executables are.
    public static let runningExecutableDirectory: String = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments.first ?? "."
        return URL(fileURLWithPath: executable).deletingLastPathComponent().path
    }()

    /// A broker template in `broker-config/`.
    public static func brokerConfig(_ name: String) -> String {
        packageRoot + "/broker-config/" + name
    }

    /// A product built next to the running test binary, e.g. `"libcomsat.so"` or `"fogctl"`.
    /// `FOG_COMSAT_PLUGIN` overrides the path of `libcomsat.so` (a plugin built elsewhere).
    public static func builtProduct(_ name: String) -> String {
        if name == "libcomsat.so", let override = environment("FOG_COMSAT_PLUGIN") {
            return override
        }
        return runningExecutableDirectory + "/" + name
    }

    private static func environment(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            return nil
        }
        return value
    }

    private static func ancestor(of start: String, containing file: String) -> String? {
        var directory = URL(fileURLWithPath: start).standardizedFileURL
        while true {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path) {
                return directory.path
            }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path {
                return nil
            }
            directory = parent
        }
    }
}
