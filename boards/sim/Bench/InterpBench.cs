using System.Reflection;
using System.Reflection.Emit;
using Vmap.Hal;
using Vmap.Sim.Boards;

namespace Vmap.Sim.Bench;

/// <summary>
/// <c>bench interp</c>: what single operations cost the nanoFramework interpreter on a board's
/// profile, counted exactly (<see cref="IlCounter"/>) on the firmware as the board runs it: the
/// device HAL of a board without a native MMU module (thread cores, the managed page table,
/// inline drains; a clock that steps 100 us per read, see SteppingClock) and zones on with more than
/// one core. Deterministic: the same build gives the same counts on any host, under any load.
/// </summary>
public static class InterpBench
{
    /// <summary>One measured operation.</summary>
    public sealed record Operation(string Name, IlCounter.Counts Counts);

    /// <summary>
    /// Measures, on <paramref name="profile"/>: an allocation that hits its zone's cache, a plain
    /// free and a cache miss that carves and refills (zones on; skipped on one core), a carve from
    /// the free tree and a purge of a few lazy areas with no free neighbour (zones off, as one
    /// core runs). With
    /// <paramref name="countDir"/>, counts the Vmap.Hal.dll and Vmap.dll there instead of this
    /// build's (an older commit, to compare).
    /// </summary>
    public static List<Operation> Run(BoardProfile profile, string? countDir = null)
    {
        var ops = new List<Operation>();
        VmapConfig config = profile.ToConfig();
        if (config.Cores > 1 && config.SizeClassLimit > 0)
        {
            var a = new Counted(config, zones: true, countDir);
            // Three one-page areas freed and purged: the purge hands them to the class's cache,
            // so the measured allocation is a hit that leaves the class non-empty (the common case).
            ulong[] warm = [a.Alloc(1), a.Alloc(1), a.Alloc(1)];
            foreach (ulong w in warm) a.Free(w);
            a.Purge();
            ulong hit = 0;
            ops.Add(new Operation("cache-hit alloc (1 page, zones on)", IlCounter.Measure(() => hit = a.Alloc(1))));
            ops.Add(new Operation("plain free (zones on)", IlCounter.Measure(() => a.Free(hit))));
            // A class nothing cached yet: the carve refills the class's cache in the same section.
            int refillClass = Math.Min(2, config.SizeClassLimit);
            ops.Add(new Operation($"cache-miss alloc with refill ({refillClass} pages, zones on)", IlCounter.Measure(() => a.Alloc(refillClass))));
        }

        var b = new Counted(config, zones: false, countDir);
        b.Alloc(1);
        var areas = new List<ulong>();
        ops.Add(new Operation("carve alloc (1 page, zones off)", IlCounter.Measure(() => areas.Add(b.Alloc(1)))));
        if (config.Cores == 1)
        {
            ulong one = areas[0];
            ops.Add(new Operation("plain free (zones off)", IlCounter.Measure(() => b.Free(one))));
            areas.Clear();
            b.Purge(); // that free's area must not join the measured purge
        }
        // Every other area freed: each merges into the tree as a block of its own (an insert).
        int lazy = Math.Min(PurgedAreas, config.SpanPages / (4 * (1 + config.GuardPages)));
        while (areas.Count < 2 * lazy) areas.Add(b.Alloc(1));
        for (int i = 0; i < areas.Count; i += 2) b.Free(areas[i]);
        ops.Add(new Operation($"purge of {lazy} areas (zones off)", IlCounter.Measure(b.Purge)));
        return ops;
    }

    /// <summary>Lazy areas the measured purge merges (fewer on a span too small for them).</summary>
    public const int PurgedAreas = 8;

    /// <summary>
    /// The board's clock for counting: every read is 100 us after the one before, so every
    /// section measures the same and the meter's time-bucket steps take the same branches on
    /// every run (a real clock's readings would make the counts vary by a few instructions).
    /// Its reads count as interface dispatches at the call sites; its own code is the host's (a
    /// board's timer read is one native call). Emitted at run time, because it implements the
    /// counted build's IClock, which no assembly compiled here can name.
    /// </summary>
    private static object SteppingClock(Type iclock)
    {
        const long TicksPerSecond = 10_000_000, Step = TicksPerSecond / 10_000; // 100 us
        AssemblyBuilder assembly;
        using (System.Runtime.Loader.AssemblyLoadContext.EnterContextualReflection(iclock.Assembly))
            assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("SteppingClock"), AssemblyBuilderAccess.Run);
        TypeBuilder type = assembly.DefineDynamicModule("SteppingClock").DefineType("SteppingClock", TypeAttributes.Public | TypeAttributes.Sealed);
        type.AddInterfaceImplementation(iclock);
        FieldBuilder ticks = type.DefineField("_ticks", typeof(long), FieldAttributes.Private);
        const MethodAttributes Implements = MethodAttributes.Public | MethodAttributes.Virtual | MethodAttributes.Final | MethodAttributes.NewSlot | MethodAttributes.HideBySig | MethodAttributes.SpecialName;
        MethodBuilder getTicks = type.DefineMethod("get_Ticks", Implements, typeof(long), Type.EmptyTypes);
        ILGenerator il = getTicks.GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, ticks);
        il.Emit(OpCodes.Ldc_I8, Step);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stfld, ticks);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, ticks);
        il.Emit(OpCodes.Ret);
        type.DefineMethodOverride(getTicks, iclock.GetProperty("Ticks")!.GetMethod!);
        MethodBuilder getRate = type.DefineMethod("get_TicksPerSecond", Implements, typeof(long), Type.EmptyTypes);
        il = getRate.GetILGenerator();
        il.Emit(OpCodes.Ldc_I8, TicksPerSecond);
        il.Emit(OpCodes.Ret);
        type.DefineMethodOverride(getRate, iclock.GetProperty("TicksPerSecond")!.GetMethod!);
        return Activator.CreateInstance(type.CreateType())!;
    }

    /// <summary>An allocator from the counted assemblies, driven through reflection (its types are not this build's).</summary>
    private sealed class Counted
    {
        private readonly object _allocator;
        private readonly MethodInfo _alloc;
        private readonly MethodInfo _free;
        private readonly MethodInfo _purge;
        private readonly ulong _pageSize;

        public Counted(VmapConfig profile, bool zones, string? countDir)
        {
            Assembly[] counted = IlCounter.LoadCounted(
                countDir != null ? Path.Combine(countDir, "Vmap.Hal.dll") : typeof(Board).Assembly.Location,
                countDir != null ? Path.Combine(countDir, "Vmap.dll") : typeof(Allocator).Assembly.Location);
            Assembly hal = counted[0], vmap = counted[1];
            object config = Activator.CreateInstance(vmap.GetType("Vmap.VmapConfig")!)!;
            foreach (FieldInfo f in typeof(VmapConfig).GetFields(BindingFlags.Public | BindingFlags.Instance))
                config.GetType().GetField(f.Name)?.SetValue(config, f.GetValue(profile)); // an older build may lack a setting
            config.GetType().GetField(nameof(VmapConfig.Zones))!.SetValue(config, zones);
            object New(string type, params object[] args) => Activator.CreateInstance(hal.GetType("Vmap.Hal." + type)!, args)!;
            object clock = SteppingClock(hal.GetType("Vmap.Hal.IClock")!);
            object board = New("Board", clock, New("ThreadCores", profile.Cores), New("TableMmu", profile.SpanPages), New("InlineDrainRequests"));
            _allocator = Activator.CreateInstance(vmap.GetType("Vmap.Allocator")!, board)!;
            Type type = _allocator.GetType();
            string status = type.GetMethod("Start")!.Invoke(_allocator, [config])!.ToString()!;
            if (status != "Ok") throw new InvalidOperationException($"the counted allocator refused the profile: {status} ({type.GetProperty("ConfigProblem")?.GetValue(_allocator)})");
            _alloc = type.GetMethod("Alloc", [typeof(ulong), typeof(ulong), typeof(int), typeof(ulong).MakeByRefType()])!;
            _free = type.GetMethod("Free", [typeof(ulong)])!;
            _purge = type.GetMethod("Purge")!;
            _pageSize = (ulong)profile.PageSize;
        }

        public ulong Alloc(int pages)
        {
            object[] args = [(ulong)pages * _pageSize, _pageSize, 7, 0UL];
            Check("alloc", _alloc.Invoke(_allocator, args));
            return (ulong)args[3];
        }

        public void Free(ulong address) => Check("free", _free.Invoke(_allocator, [address]));

        public void Purge() => Check("purge", _purge.Invoke(_allocator, null));

        private static void Check(string what, object? status)
        {
            if (status?.ToString() != "Ok") throw new InvalidOperationException($"{what} failed while counting: {status}");
        }
    }
}
