using System.Reflection;
using System.Runtime.InteropServices;

[assembly: AssemblyTitle("Vmap.Hal.Esp32")]
[assembly: AssemblyDescription("The ESP32 HAL of the Vmap allocator")]
[assembly: AssemblyCompany("Vmap")]
[assembly: AssemblyProduct("Vmap")]
[assembly: AssemblyCopyright("Copyright (c) Vmap contributors")]
[assembly: ComVisible(false)]
[assembly: AssemblyVersion("1.0.0.0")]
[assembly: AssemblyFileVersion("1.0.0.0")]
