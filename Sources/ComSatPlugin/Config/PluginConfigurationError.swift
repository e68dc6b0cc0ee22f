/// A `plugin_opt_*` option is missing, unknown, repeated or has an invalid value.
///
/// The message names the option as written in mosquitto.conf, so the one log line the
/// broker prints before refusing to start says exactly what to fix. Values of options that
/// may hold key material are never echoed.
struct PluginConfigurationError: Error, Sendable, CustomStringConvertible {
    var option: String
    var message: String

    var description: String { "plugin_opt_\(option): \(message)" }
}
