namespace Vmap.Suite;

// The cases of Linux lib/test_vmalloc.c that apply to an address-space allocator, the purge
// backlog of seed 000 and a soak, each scaled to the span it runs on.

/// <summary>fix_size: allocate one page and free it, again and again.</summary>
public sealed class FixSize : Scenario
{
    public override string Name => "fix_size";
    public override string Description => "alloc 1 page, free it";

    protected override void Body(int ops, Rng rng)
    {
        for (int i = 0; i < ops; i += 2) Free(Alloc(1, 1));
    }
}

/// <summary>full_fit: fill with one-page areas, punch holes of exactly one area, fill them again.</summary>
public sealed class FullFit : Scenario
{
    public override string Name => "full_fit";
    public override string Description => "holes of exactly the requested size, refilled";

    protected override void Body(int ops, Rng rng)
    {
        int n = Clamp(Live.Length, 2, SpanPages / 4);
        int done = 0;
        while (done < ops)
        {
            for (int i = 0; i < n; i++) Live[i] = Alloc(1, 1);
            for (int i = 0; i < n; i += 2) Free(Live[i]);
            Purge();
            for (int i = 0; i < n; i += 2) Live[i] = Alloc(1, 1);
            for (int i = 0; i < n; i++) Free(Live[i]);
            done += 3 * n;
        }
    }
}

/// <summary>long_busy_list: many live one-page areas, then alloc 100 pages + 1 page and free both.</summary>
public sealed class LongBusyList : Scenario
{
    public override string Name => "long_busy_list";
    public override string Description => "15 000 busy areas (fewer on small spans), then alloc 100 + 1 pages, free both";

    protected override void Body(int ops, Rng rng)
    {
        int busy = Clamp(Live.Length, 1, SpanPages / 4);
        if (busy > 15000) busy = 15000;
        int big = Clamp(100, 1, SpanPages / 4);
        for (int i = 0; i < busy; i++) Live[i] = Alloc(1, 1);
        for (int done = 2 * busy; done < ops; done += 4)
        {
            int a = Alloc(big, 1);
            int b = Alloc(1, 1);
            Free(a);
            Free(b);
        }
        for (int i = 0; i < busy; i++) Free(Live[i]);
    }
}

/// <summary>random_size: allocate 1 to 100 pages (fewer on small spans) and free.</summary>
public sealed class RandomSize : Scenario
{
    public override string Name => "random_size";
    public override string Description => "alloc 1..100 pages, free";

    protected override void Body(int ops, Rng rng)
    {
        int max = Clamp(100, 1, SpanPages / 4);
        for (int i = 0; i < ops; i += 2) Free(Alloc(rng.Between(1, max), 1));
    }
}

/// <summary>fix_align: one page aligned to 2^1 .. 2^10 pages (less on small spans).</summary>
public sealed class FixAlign : Scenario
{
    public override string Name => "fix_align";
    public override string Description => "alloc 1 page aligned to 2..1024 pages, free";

    protected override void Body(int ops, Rng rng)
    {
        int maxAlign = Clamp(FloorPow2(SpanPages / 4), 1, 1024);
        int align = 2;
        for (int i = 0; i < ops; i += 2)
        {
            Free(Alloc(1, align > maxAlign ? maxAlign : align));
            align = align >= maxAlign ? 2 : align * 2;
        }
    }
}

/// <summary>random_size_align: random sizes with random power-of-two alignments.</summary>
public sealed class RandomSizeAlign : Scenario
{
    public override string Name => "random_size_align";
    public override string Description => "alloc 1..100 pages aligned to 1..256 pages, free";

    protected override void Body(int ops, Rng rng)
    {
        int max = Clamp(100, 1, SpanPages / 8);
        int maxShift = 0;
        while ((2 << maxShift) <= SpanPages / 8 && maxShift < 8) maxShift++;
        for (int i = 0; i < ops; i += 2) Free(Alloc(rng.Between(1, max), 1 << rng.Between(0, maxShift)));
    }
}

/// <summary>purge_backlog: free a backlog of scattered areas, then purge it (seed 000's long section).</summary>
public sealed class PurgeBacklog : Scenario
{
    public override string Name => "purge_backlog";
    public override string Description => "free scattered areas between live ones, purge the backlog";

    protected override void Body(int ops, Rng rng)
    {
        int pairs = Clamp(Live.Length / 2, 1, SpanPages / 4);
        int done = 0;
        while (done < ops)
        {
            for (int i = 0; i < pairs; i++)
            {
                Live[2 * i] = Alloc(1, 1);
                Live[2 * i + 1] = Alloc(1, 1);
            }
            for (int i = 0; i < pairs; i++) Free(Live[2 * i + 1]);
            Purge();
            for (int i = 0; i < pairs; i++) Free(Live[2 * i]);
            Purge();
            done += 4 * pairs;
        }
    }
}

/// <summary>soak: a random mix with a live set that fills and drains, for a fixed budget of operations.</summary>
public sealed class Soak : Scenario
{
    public override string Name => "soak";
    public override string Description => "random sizes and alignments, random frees, a wandering live set";

    protected override void Body(int ops, Rng rng)
    {
        int max = Clamp(64, 1, SpanPages / 8);
        int cap = Clamp(Live.Length, 1, SpanPages / 2);
        int live = 0;
        for (int i = 0; i < ops; i++)
        {
            if (live < cap && (live == 0 || rng.Chance(52)))
            {
                int page = Alloc(rng.Between(1, max), rng.Chance(20) ? 1 << rng.Between(1, 3) : 1);
                if (page >= 0) Live[live++] = page;
                else if (live > 0) Free(Live[--live]);
            }
            else
            {
                int k = rng.Between(0, live - 1);
                Free(Live[k]);
                Live[k] = Live[--live];
            }
        }
        while (live > 0) Free(Live[--live]);
    }
}
