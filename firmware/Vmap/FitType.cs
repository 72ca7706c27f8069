namespace Vmap;

/// <summary>
/// How a new area sits inside the free block it is carved from (Linux enum fit_type).
/// Pictures: <c>|</c> block edges, <c>V</c> the new area, <c>L</c>/<c>R</c> what stays free.
/// </summary>
public enum FitType
{
    /// <summary>The area takes the whole block: <c>|VVVVVVVV|</c>. The block's record becomes the area.</summary>
    Full = 0,

    /// <summary>The area takes the head: <c>|VVVV|RRRR|</c>. The block shrinks from the left.</summary>
    LeftEdge = 1,

    /// <summary>The area takes the tail: <c>|LLLL|VVVV|</c>. The block shrinks from the right.</summary>
    RightEdge = 2,

    /// <summary>
    /// The area sits inside: <c>|LL|VVVV|RR|</c>. The block keeps L and the right remainder R
    /// needs a new record, which comes from the core's preload slot.
    /// </summary>
    NoEdge = 3,
}
