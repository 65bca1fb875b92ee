// netstandard2.0 lacks the marker types that C# 9+ features compile against.
#if NETSTANDARD2_0
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit { }
}
#endif
