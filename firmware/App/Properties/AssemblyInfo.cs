using System.Reflection;
using System.Runtime.InteropServices;

[assembly: AssemblyTitle("Vmap.App")]
[assembly: AssemblyDescription("The Vmap firmware application: the latency suite at boot")]
[assembly: AssemblyCompany("Vmap")]
[assembly: AssemblyProduct("Vmap")]
[assembly: AssemblyCopyright("Copyright (c) Vmap contributors")]
[assembly: ComVisible(false)]
[assembly: AssemblyVersion("1.0.0.0")]
[assembly: AssemblyFileVersion("1.0.0.0")]
