/// `ChildProcess` lives in FogSystem (the agent spawns its children with it); tests that
/// import FogTestSupport get it as before.
@_exported public import FogSystem
