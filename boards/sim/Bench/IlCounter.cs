using System.Reflection;
using System.Runtime.Loader;
using Mono.Cecil;
using Mono.Cecil.Cil;
using Mono.Cecil.Rocks;

namespace Vmap.Sim.Bench;

/// <summary>
/// What the device code makes the nanoFramework interpreter do, counted deterministically on
/// the host: the firmware's assemblies (Vmap and Vmap.Hal, as a board runs them) are rewritten
/// with Mono.Cecil so that every method entry, every basic block (with its number of IL
/// instructions) and every call site bumps a counter here, then loaded into their own load
/// context. The interpreter inlines nothing and pays per IL instruction, per call, per
/// interface dispatch and per call into the runtime (its native code), so these counts are what
/// an operation costs it, whatever the host's JIT does. (The source is the same; the
/// nanoFramework compiler's `lock` differs from .NET's by a few instructions.)
/// </summary>
public static class IlCounter
{
    /// <summary>One operation's counts.</summary>
    public sealed record Counts(long Instructions, int ManagedCalls, int InterfaceCalls, int RuntimeCalls, IReadOnlyList<string> Managed, IReadOnlyList<string> Runtime, IReadOnlyDictionary<string, long> InstructionsByMethod);

    private static readonly List<string> s_methods = new();
    private static readonly List<(string Name, bool Interface, bool Runtime)> s_sites = new();
    // Per thread: only the thread that measures counts (a purge thread, or another measurement
    // on another thread, never adds to it).
    [ThreadStatic] private static bool t_on;
    [ThreadStatic] private static long t_instructions;
    [ThreadStatic] private static int t_managed;
    [ThreadStatic] private static int t_interface;
    [ThreadStatic] private static int t_runtime;
    [ThreadStatic] private static List<string>? t_managedNames;
    [ThreadStatic] private static List<string>? t_runtimeNames;
    [ThreadStatic] private static Dictionary<string, long>? t_byMethod;

    /// <summary>Called at every method entry of the rewritten assemblies.</summary>
    public static void Enter(int method)
    {
        if (!t_on) return;
        t_managed++;
        t_managedNames!.Add(s_methods[method]);
    }

    /// <summary>Called at the start of every basic block of <paramref name="method"/> with its number of original IL instructions.</summary>
    public static void Block(int method, int instructions)
    {
        if (!t_on) return;
        t_instructions += instructions;
        string name = s_methods[method];
        t_byMethod![name] = t_byMethod.GetValueOrDefault(name) + instructions;
    }

    /// <summary>Called before every call site that leaves the managed code counted (an interface dispatch or a call into the runtime).</summary>
    public static void Site(int site)
    {
        if (!t_on) return;
        var (name, isInterface, isRuntime) = s_sites[site];
        if (isInterface) t_interface++;
        if (isRuntime)
        {
            t_runtime++;
            t_runtimeNames!.Add(name);
        }
    }

    /// <summary>Counts what <paramref name="operation"/> makes the rewritten code do on this thread.</summary>
    public static Counts Measure(Action operation)
    {
        t_instructions = 0;
        t_managed = t_interface = t_runtime = 0;
        t_managedNames = new List<string>();
        t_runtimeNames = new List<string>();
        t_byMethod = new Dictionary<string, long>();
        t_on = true;
        try
        {
            operation();
        }
        finally
        {
            t_on = false;
        }
        return new Counts(t_instructions, t_managed, t_interface, t_runtime, t_managedNames, t_runtimeNames, t_byMethod);
    }

    /// <summary>
    /// Loads the assemblies at <paramref name="paths"/> (the firmware's Vmap.Hal and Vmap),
    /// rewritten to count, into a new load context, in that order. Everything else (the
    /// runtime, this assembly) comes from the default one.
    /// </summary>
    public static Assembly[] LoadCounted(params string[] paths)
    {
        var names = paths.Select(Path.GetFileNameWithoutExtension).ToHashSet()!;
        var context = new CountedContext();
        var loaded = new List<Assembly>();
        foreach (string path in paths)
        {
            using var stream = new MemoryStream(Rewrite(path, names!));
            Assembly counted = context.LoadFromStream(stream);
            context.Own[counted.GetName().Name!] = counted;
            loaded.Add(counted);
        }
        return loaded.ToArray();
    }

    // Not collectible: the stepping clock is a proxy type the runtime generates, which may not
    // reference a collectible assembly. A run loads a few small copies and keeps them.
    private sealed class CountedContext() : AssemblyLoadContext("counted", isCollectible: false)
    {
        public readonly Dictionary<string, Assembly> Own = new();

        protected override Assembly? Load(AssemblyName name) => Own.GetValueOrDefault(name.Name!);
    }

    private static byte[] Rewrite(string path, HashSet<string> counted)
    {
        var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(Path.GetDirectoryName(path)!);
        using ModuleDefinition module = ModuleDefinition.ReadModule(path, new ReaderParameters { AssemblyResolver = resolver });
        MethodReference enter = module.ImportReference(typeof(IlCounter).GetMethod(nameof(Enter)));
        MethodReference block = module.ImportReference(typeof(IlCounter).GetMethod(nameof(Block)));
        MethodReference site = module.ImportReference(typeof(IlCounter).GetMethod(nameof(Site)));
        foreach (TypeDefinition type in module.GetTypes())
        {
            foreach (MethodDefinition method in type.Methods.Where(m => m.HasBody))
            {
                int id;
                lock (s_methods)
                {
                    id = s_methods.Count;
                    s_methods.Add(type.Name + "." + method.Name);
                }
                Instrument(method.Body, id, enter, block, site, counted);
            }
        }
        using var output = new MemoryStream();
        module.Write(output);
        return output.ToArray();
    }

    private static void Instrument(Mono.Cecil.Cil.MethodBody body, int methodId, MethodReference enter, MethodReference block, MethodReference site, HashSet<string> counted)
    {
        body.SimplifyMacros();
        List<Instruction> code = body.Instructions.ToList();

        // Basic blocks: the first instruction, every branch target and handler boundary, and
        // every instruction after a branch, return or throw.
        var leaders = new HashSet<Instruction> { code[0] };
        for (int i = 0; i < code.Count; i++)
        {
            Instruction ins = code[i];
            if (ins.Operand is Instruction target) leaders.Add(target);
            if (ins.Operand is Instruction[] targets) leaders.UnionWith(targets);
            FlowControl flow = ins.OpCode.FlowControl;
            if (i + 1 < code.Count && (flow is FlowControl.Branch or FlowControl.Cond_Branch or FlowControl.Return or FlowControl.Throw)) leaders.Add(code[i + 1]);
        }
        foreach (ExceptionHandler h in body.ExceptionHandlers)
        {
            foreach (Instruction? i in new[] { h.TryStart, h.TryEnd, h.HandlerStart, h.HandlerEnd, h.FilterStart })
            {
                if (i != null) leaders.Add(i);
            }
        }

        // What goes before each instruction: its block's size, a call site.
        var before = new Dictionary<Instruction, List<Instruction>>();
        List<Instruction> At(Instruction i) => before.TryGetValue(i, out var l) ? l : before[i] = new List<Instruction>();
        for (int i = 0; i < code.Count; i++)
        {
            if (!leaders.Contains(code[i])) continue;
            int n = 1;
            while (i + n < code.Count && !leaders.Contains(code[i + n])) n++;
            At(code[i]).AddRange([Instruction.Create(OpCodes.Ldc_I4, methodId), Instruction.Create(OpCodes.Ldc_I4, n), Instruction.Create(OpCodes.Call, block)]);
        }
        for (int i = 0; i < code.Count; i++)
        {
            Instruction ins = code[i];
            if (ins.OpCode.Code is not (Code.Call or Code.Callvirt or Code.Newobj) || ins.Operand is not MethodReference callee) continue;
            bool isInterface = ins.OpCode.Code == Code.Callvirt && (callee.DeclaringType.Resolve()?.IsInterface ?? false);
            bool isRuntime = !counted.Contains(callee.DeclaringType.Scope switch
            {
                AssemblyNameReference r => r.Name,
                ModuleDefinition m => m.Assembly.Name.Name,
                var other => other.Name,
            });
            if (!isInterface && !isRuntime) continue;
            int siteId;
            lock (s_sites)
            {
                siteId = s_sites.Count;
                s_sites.Add((callee.DeclaringType.Name + "." + callee.Name, isInterface, isRuntime));
            }
            // A prefix (constrained., tail.) must stay right before its call: count in front of both.
            Instruction at = i > 0 && code[i - 1].OpCode.OpCodeType == OpCodeType.Prefix ? code[i - 1] : ins;
            At(at).AddRange([Instruction.Create(OpCodes.Ldc_I4, siteId), Instruction.Create(OpCodes.Call, site)]);
        }

        // Insert keeping every instruction's identity, so branches and handler boundaries that
        // name it now name the counting sequence in front of it.
        ILProcessor il = body.GetILProcessor();
        foreach (var (target, sequence) in before)
        {
            Instruction original = Instruction.Create(OpCodes.Nop);
            original.OpCode = target.OpCode;
            original.Operand = target.Operand;
            target.OpCode = sequence[0].OpCode;
            target.Operand = sequence[0].Operand;
            Instruction last = target;
            foreach (Instruction next in sequence.Skip(1).Append(original))
            {
                il.InsertAfter(last, next);
                last = next;
            }
        }
        // The method's entry: fresh instructions in front of everything, which no branch names (a
        // loop that starts at the first instruction must not count an entry per round).
        Instruction first = body.Instructions[0];
        il.InsertBefore(first, Instruction.Create(OpCodes.Ldc_I4, methodId));
        il.InsertBefore(first, Instruction.Create(OpCodes.Call, enter));
        body.OptimizeMacros();
    }
}
