using System.Reflection;
using System.Runtime.InteropServices;

[assembly: AssemblyTitle("Vmap.Hal")]
[assembly: AssemblyDescription("The hardware contract of the Vmap address-space allocator")]
[assembly: AssemblyCompany("Vmap")]
[assembly: AssemblyProduct("Vmap")]
[assembly: AssemblyCopyright("Copyright (c) Vmap contributors")]
[assembly: ComVisible(false)]
[assembly: AssemblyVersion("1.0.0.0")]
[assembly: AssemblyFileVersion("1.0.0.0")]
