namespace HandiImaging.Core.Cohort
{
    /// <summary>The outcome of checking one NHS number.</summary>
    public sealed record NhsNumberCheck(string NhsNumber, bool IsValid, string Reason);

    /// <summary>
    /// NHS number validation: ten digits whose last is the modulus-11 check digit of the first nine
    /// (weights 10..2; 11 - (sum mod 11), where 11 means 0 and 10 means no valid number has those digits).
    /// Invalid numbers are reported, never "fixed".
    /// </summary>
    public static class NhsNumber
    {
        public static NhsNumberCheck Check(string? value)
        {
            var text = value ?? "";
            var digits = text.Trim();
            if (digits.Length == 0) return new NhsNumberCheck(text, false, "empty");
            if (digits.Length != 10) return new NhsNumberCheck(text, false, $"has {digits.Length} characters, expected 10 digits");
            for (var i = 0; i < 10; i++)
            {
                var c = digits[i];
                if (c < '0' || c > '9') return new NhsNumberCheck(text, false, $"character {i + 1} ('{c}') is not a digit");
            }
            if (CheckDigit(digits) is not { } check) return new NhsNumberCheck(text, false, "first nine digits give check value 10, which no valid NHS number has");
            var actual = digits[9] - '0';
            return actual == check
                ? new NhsNumberCheck(text, true, "valid")
                : new NhsNumberCheck(text, false, $"check digit is {actual}, expected {check}");
        }

        public static bool IsValid(string? value) => Check(value).IsValid;

        /// <summary>The check digit for the first nine digits of <paramref name="digits"/>; null when no valid number starts with them.</summary>
        public static int? CheckDigit(string digits)
        {
            var sum = 0;
            for (var i = 0; i < 9; i++) sum += (digits[i] - '0') * (10 - i);
            var check = 11 - sum % 11;
            return check == 11 ? 0 : check == 10 ? null : check;
        }
    }
}
