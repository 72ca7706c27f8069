using System.Reflection;
using System.Runtime.InteropServices;

[assembly: AssemblyTitle("NFUnitTest")]
[assembly: AssemblyDescription("On-device tests of the Vmap allocator and its latency suite (nanoFramework.TestFramework)")]
[assembly: AssemblyCompany("Vmap")]
[assembly: AssemblyProduct("Vmap")]
[assembly: AssemblyCopyright("Copyright (c) Vmap contributors")]
[assembly: ComVisible(false)]
[assembly: AssemblyVersion("1.0.0.0")]
[assembly: AssemblyFileVersion("1.0.0.0")]
