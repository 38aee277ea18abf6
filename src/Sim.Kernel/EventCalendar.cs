using System.Buffers;

namespace AmiSim.Kernel;

/// <summary>
/// A partition's pending events, in buckets one lookahead wide (a calendar queue). Adding an event
/// is an append. A window [t, t + L) that starts at the earliest event t takes all of t's bucket and
/// the early part of the next one, so at most two buckets are touched; events are not sorted here:
/// the partition sorts each window's events (<see cref="WindowOrder"/>).
/// </summary>
/// <remarks>
/// Most buckets are sparse: timers and timeouts hours ahead put a few events each into tens of
/// thousands of future buckets. So a bucket starts empty and grows. The busy
/// buckets of the near future grow to thousands of events each; from <see cref="Bucket.PooledFrom"/>
/// events on, bucket arrays come from the shared array pool and go back to it when the bucket is
/// emptied. The
/// smaller arrays (4 and 8 events) are kept by the calendar (<see cref="SmallArrays"/>) when a bucket
/// grows out of one or is emptied, so that the next bucket does not make its first arrays anew either.
/// </remarks>
internal sealed class EventCalendar(long bucketMicros)
{
    /// <summary>
    /// Emptied buckets (and arrays of each small size) kept for reuse. Buckets are emptied one per
    /// window as time moves on, but made in bursts (a wave's timers, hours ahead), hence this many.
    /// </summary>
    private const int SpareBuckets = 4096;

    private readonly SmallArrays _arrays = new(SpareBuckets);

    private readonly Dictionary<long, Bucket> _buckets = new();
    private readonly PriorityQueue<long, long> _order = new();
    private readonly Stack<Bucket> _spare = new();
    // The bucket of the last event added: a window's events mostly land in one or two buckets.
    private long _lastIndex = -1;
    private Bucket? _lastBucket;

    public int Count { get; private set; }

    public void Add(in SimEvent evt)
    {
        var index = evt.Time.Micros / bucketMicros;
        var bucket = index == _lastIndex ? _lastBucket! : BucketAt(index);
        bucket.Add(evt, _arrays);
        Count++;
    }

    private Bucket BucketAt(long index)
    {
        if (!_buckets.TryGetValue(index, out var bucket))
        {
            bucket = _spare.Count > 0 ? _spare.Pop() : new Bucket();
            _buckets.Add(index, bucket);
            _order.Enqueue(index, index);
        }
        _lastIndex = index;
        _lastBucket = bucket;
        return bucket;
    }

    /// <summary>The time of the earliest pending event, or <see cref="SimTime.Never"/>.</summary>
    public SimTime Next => _order.TryPeek(out var index, out _) ? new SimTime(_buckets[index].Min) : SimTime.Never;

    /// <summary>Removes every event due before <paramref name="end"/> and hands each to <paramref name="release"/>.</summary>
    public void TakeBefore<TState>(SimTime end, TState state, Action<TState, SimEvent> release)
    {
        while (_order.TryPeek(out var index, out _))
        {
            var bucket = _buckets[index];
            if (bucket.Min >= end.Micros) return;
            if (bucket.Max < end.Micros)
            {
                for (var i = 0; i < bucket.Count; i++) release(state, bucket.Events[i]);
                Count -= bucket.Count;
                _order.Dequeue();
                _buckets.Remove(index);
                if (index == _lastIndex) _lastIndex = -1; // the bucket goes back to the spares
                bucket.Empty(_arrays);
                if (_spare.Count < SpareBuckets) _spare.Push(bucket);
                continue;
            }
            Count -= bucket.TakeBefore(end.Micros, state, release);
            return; // the rest of this bucket, and every later bucket, is due at or after the end
        }
    }

    private sealed class Bucket
    {
        /// <summary>Arrays this long or longer are rented from the shared pool.</summary>
        public const int PooledFrom = 16;

        public SimEvent[] Events = [];
        public int Count;
        public long Min = long.MaxValue;
        public long Max = long.MinValue;

        public void Add(in SimEvent evt, SmallArrays arrays)
        {
            if (Count == Events.Length) Grow(arrays);
            Events[Count++] = evt;
            var micros = evt.Time.Micros;
            if (micros < Min) Min = micros;
            if (micros > Max) Max = micros;
        }

        /// <summary>Releases the events before <paramref name="end"/> and keeps the rest; returns how many went.</summary>
        public int TakeBefore<TState>(long end, TState state, Action<TState, SimEvent> release)
        {
            var kept = 0;
            Min = long.MaxValue;
            Max = long.MinValue;
            for (var i = 0; i < Count; i++)
            {
                var evt = Events[i];
                var micros = evt.Time.Micros;
                if (micros < end)
                {
                    release(state, evt);
                    continue;
                }
                Events[kept++] = evt;
                if (micros < Min) Min = micros;
                if (micros > Max) Max = micros;
            }
            Array.Clear(Events, kept, Count - kept);
            var taken = Count - kept;
            Count = kept;
            return taken;
        }

        private void Grow(SmallArrays arrays)
        {
            var size = Math.Max(SmallArrays.Smallest, Count * 2);
            var grown = size >= PooledFrom ? ArrayPool<SimEvent>.Shared.Rent(size) : arrays.Take(size);
            Array.Copy(Events, grown, Count);
            GiveBack(arrays);
            Events = grown;
        }

        /// <summary>Lets every event go and gives the array back; the bucket can be used again from empty.</summary>
        public void Empty(SmallArrays arrays)
        {
            GiveBack(arrays);
            Events = [];
            Count = 0;
            Min = long.MaxValue;
            Max = long.MinValue;
        }

        /// <summary>Gives the array back where it came from, its events cleared (they hold payloads).</summary>
        private void GiveBack(SmallArrays arrays)
        {
            Array.Clear(Events, 0, Count);
            if (Events.Length >= PooledFrom) ArrayPool<SimEvent>.Shared.Return(Events);
            else if (Events.Length > 0) arrays.Give(Events);
        }
    }

    /// <summary>Emptied bucket arrays shorter than <see cref="Bucket.PooledFrom"/>, by size (4 and 8), up to a limit of each.</summary>
    private sealed class SmallArrays(int limit)
    {
        public const int Smallest = 4;

        private readonly Stack<SimEvent[]> _fours = new();
        private readonly Stack<SimEvent[]> _eights = new();

        public SimEvent[] Take(int size) =>
            (size == Smallest ? _fours : _eights) is { Count: > 0 } spare ? spare.Pop() : new SimEvent[size];

        public void Give(SimEvent[] array)
        {
            var spare = array.Length == Smallest ? _fours : _eights;
            if (spare.Count < limit) spare.Push(array);
        }
    }
}
