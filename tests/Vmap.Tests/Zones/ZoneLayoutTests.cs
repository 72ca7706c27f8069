using System.Reflection;
using System.Runtime.CompilerServices;
using Vmap.Hal.Sim;

namespace Vmap.Tests.Zones;

/// <summary>
/// Regime: where the allocator's objects (and the simulated MMU's) sit in memory. A core that
/// writes a cache line another core reads takes the line from it on every write; the lock word
/// of a zone lock sharing a line with the zones array, which every operation on every core
/// reads, once cost the contention benchmark as much as everything else the cores shared.
/// Host layout (64-bit CLR): an object reference points just after the 8-byte header that
/// holds the lock word; in an array, the length sits 8 bytes after the reference and the
/// elements start at 16.
/// </summary>
public sealed class ZoneLayoutTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    public void No_zone_lock_word_shares_a_cache_line_with_the_zones_array_or_another_zone(int cores)
    {
        VmapConfig c = Rig.Small(4096, 1, 8192, 64, cores);
        c.Zones = true;
        var rig = new Rig(c);
        var zones = (Array)Field(rig.A, "_zones");
        object[] locks = zones.Cast<object>().Select(z => Field(z, "Lock")).ToArray();
        int[][][] arrays = zones.Cast<object>().Select(z => new[] { "CacheHead", "CacheCount", "CacheLow" }.Select(n => (int[])Field(z, n)).ToArray()).ToArray();

        var (arrayFirst, arrayLast, lockWords, zoneLines) = WithoutGc(() =>
        {
            long array = Address(zones);
            return (
                (array - 8) >> 6,                   // the array's header...
                (array + 16 + 8L * cores - 1) >> 6, // ...to its last element
                locks.Select(l => (Address(l) - 8) >> 6).ToArray(),
                arrays.Select(z => z.Select(a => ((Address(a) - 8) >> 6, (Address(a) + 16 + 4L * a.Length - 1) >> 6)).ToArray()).ToArray());
        });
        for (int i = 0; i < cores; i++)
        {
            Assert.False(lockWords[i] >= arrayFirst && lockWords[i] <= arrayLast, $"zone {i}'s lock word is on a cache line of the zones array");
            for (int j = 0; j < cores; j++)
            {
                if (j == i) continue;
                Assert.NotEqual(lockWords[j], lockWords[i]);
                foreach (var (first, last) in zoneLines[j])
                    Assert.False(lockWords[i] >= first && lockWords[i] <= last, $"zone {i}'s lock word is on a cache line of zone {j}'s cache arrays");
            }
        }
    }

    [Fact]
    public void The_free_tree_lock_word_shares_no_cache_line_with_the_fields_every_operation_reads()
    {
        VmapConfig c = Rig.Small(4096, 1, 8192, 64, 2);
        c.Zones = true;
        Allocator a = new Rig(c).A;
        object treeLock = Field(a, "_treeLock");
        var (lockWord, hot) = WithoutGc(() => (
            (Address(treeLock) - 8) >> 6,
            new[]
            {
                FieldLine(a, ref Unsafe.As<bool, byte>(ref Started(a))),
                FieldLine(a, ref Unsafe.As<bool, byte>(ref ZonesOn(a))),
                FieldLine(a, ref Unsafe.As<int, byte>(ref ClassLimit(a))),
                FieldLine(a, ref Unsafe.As<int, byte>(ref Returns(a))),
                FieldLine(a, ref Unsafe.As<int, byte>(ref SpanPages(a))),
            }));
        Assert.False(hot.Contains(lockWord), "the free-tree lock word is on the cache line of a field every operation reads (_started, _zonesOn, _classLimit, _returns or _spanPages)");
    }

    [Fact]
    public void The_shadow_mmu_words_of_the_span_ends_share_no_cache_line_with_an_array_header()
    {
        // The zones of a pair of cores carve from opposite ends of the span, so the words of
        // its first and last pages are among the hottest of one core. An array's length word,
        // read by the bounds check of every call on every core, or the header of the object
        // after the array, must not sit on their lines.
        const int pages = 64 * 100;
        var mmu = new ShadowMmu(0x4000_0000, 4096, pages, new CycleClock());
        var mapped = (ulong[])Field(mmu, "_mapped");
        var stale = (ulong[])Field(mmu, "_stale");
        mmu.Map(0, 1);
        mmu.Map(pages - 1, 1);
        int[] mappedWords = Used(mapped);
        mmu.Unmap(0, 1);
        mmu.Unmap(pages - 1, 1);
        int[] staleWords = Used(stale);
        Assert.Equal(2, mappedWords.Length);
        Assert.Equal(2, staleWords.Length);
        foreach (var (name, array, words) in new[] { ("mapped", mapped, mappedWords), ("stale", stale, staleWords) })
        {
            var (lengthLine, first, last, endLine) = WithoutGc(() =>
            {
                long a = Address(array);
                return ((a + 8) >> 6, (a + 16 + 8L * words[0]) >> 6, (a + 16 + 8L * words[1]) >> 6, (a + 16 + 8L * array.Length) >> 6);
            });
            Assert.True(first > lengthLine, $"the {name} word of page 0 is on the line of the array's length word");
            Assert.True(last < endLine, $"the {name} word of the last page is on the line of the next object's header");
        }
    }

    private static int[] Used(ulong[] words) => Enumerable.Range(0, words.Length).Where(i => words[i] != 0).ToArray();

    /// <summary>Runs <paramref name="read"/> (reading addresses) again until no GC ran during it: a GC may move objects between two reads.</summary>
    private static T WithoutGc<T>(Func<T> read)
    {
        for (int attempt = 0; ; attempt++)
        {
            int gcs = GC.CollectionCount(0);
            T result = read();
            if (GC.CollectionCount(0) == gcs) return result;
            Assert.True(attempt < 100, "a GC ran during every reading of the addresses");
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_started")]
    private static extern ref bool Started(Allocator a);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_zonesOn")]
    private static extern ref bool ZonesOn(Allocator a);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_classLimit")]
    private static extern ref int ClassLimit(Allocator a);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_returns")]
    private static extern ref int Returns(Allocator a);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_spanPages")]
    private static extern ref int SpanPages(Allocator a);

    /// <summary>The cache line of a field of <paramref name="o"/>: its offset from the first field, past the 8-byte method table pointer.</summary>
    private static long FieldLine(object o, ref byte field) => (Address(o) + 8 + (long)Unsafe.ByteOffset(ref Unsafe.As<RawObject>(o).FirstField, ref field)) >> 6;

    private sealed class RawObject
    {
        public byte FirstField = 0; // only its address is used
    }

    private static object Field(object o, string name)
    {
        FieldInfo f = o.GetType().GetField(name, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            ?? throw new InvalidOperationException($"{o.GetType().Name} has no field {name}");
        return f.GetValue(o) ?? throw new InvalidOperationException($"{o.GetType().Name}.{name} is null");
    }

    private static long Address(object o) => (long)Unsafe.As<object, nint>(ref o);
}
