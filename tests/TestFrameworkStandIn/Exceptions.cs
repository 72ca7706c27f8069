namespace TestFrameworkShared
{
    /// <summary>Thrown by a failing assertion; its message says what failed.</summary>
    public class AssertFailedException : Exception
    {
        /// <summary>No message.</summary>
        public AssertFailedException()
        {
        }

        /// <summary>With the failure's message.</summary>
        public AssertFailedException(string msg)
            : base(msg)
        {
        }

        /// <summary>With the failure's message and its cause.</summary>
        public AssertFailedException(string msg, Exception ex)
            : base(msg, ex)
        {
        }
    }
}

namespace nanoFramework.TestFramework
{
    /// <summary>Thrown by <see cref="Assert.SkipTest"/>: the launcher reports the test as skipped.</summary>
    public class SkipTestException : Exception
    {
        /// <summary>Why the test is skipped.</summary>
        public SkipTestException(string? message = null, Exception? innerException = null)
            : base(message, innerException)
        {
        }
    }
}
