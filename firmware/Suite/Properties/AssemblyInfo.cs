using System.Reflection;
using System.Runtime.InteropServices;

[assembly: AssemblyTitle("Vmap.Suite")]
[assembly: AssemblyDescription("The portable latency suite of the Vmap allocator and its results format")]
[assembly: AssemblyCompany("Vmap")]
[assembly: AssemblyProduct("Vmap")]
[assembly: AssemblyCopyright("Copyright (c) Vmap contributors")]
[assembly: ComVisible(false)]
[assembly: AssemblyVersion("1.0.0.0")]
[assembly: AssemblyFileVersion("1.0.0.0")]
