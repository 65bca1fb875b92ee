using HandiImaging.Core.Cohort;

namespace HandiImaging.Core.Tests.Cohort
{
    public class NhsNumberTests
    {
        [Theory]
        [InlineData("9434765919")]
        [InlineData("4010232137")]
        [InlineData(" 9434765919 ")]
        [InlineData("943 476 5919")] // spaces and dashes are removed first
        [InlineData("943-476-5919")]
        [InlineData("943\u00A0476\u20135919")]
        public void Valid_numbers_pass(string value) => Assert.True(NhsNumber.Check(value).IsValid);

        [Theory]
        [InlineData("9434765918", "check digit is 8, expected 9")]
        [InlineData("", "empty")]
        [InlineData(null, "empty")]
        [InlineData("943476591", "has 9 characters after removing spaces and dashes, expected 10 digits")]
        [InlineData("943 476 59190", "has 11 characters after removing spaces and dashes, expected 10 digits")]
        [InlineData("0000000000", "all ten digits are the same, which no issued NHS number is")] // passes the arithmetic (check 11 → 0)
        [InlineData("1111111111", "all ten digits are the same, which no issued NHS number is")]
        [InlineData("94347659x9", "character 9 ('x') is not a digit")]
        public void Invalid_numbers_say_why(string? value, string reason)
        {
            var check = NhsNumber.Check(value);
            Assert.False(check.IsValid);
            Assert.Equal(reason, check.Reason);
        }

        [Fact]
        public void A_check_value_of_ten_is_never_valid()
        {
            // 1000000001: 1*10 = 10, 10 mod 11 = 10, 11 - 10 = 1 → valid; find nine digits whose check is 10.
            // 0000000060: 6*2 = 12 → 12 mod 11 = 1 → check 10.
            for (var last = 0; last <= 9; last++)
                Assert.False(NhsNumber.Check("000000006" + last).IsValid);
            Assert.Contains("check value 10", NhsNumber.Check("0000000060").Reason);
        }

        [Fact]
        public void Every_digit_is_weighted()
        {
            // Changing any single digit of a valid number must make it invalid (weights 10..2 are all non-zero mod 11).
            const string valid = "9434765919";
            for (var i = 0; i < 9; i++)
            {
                var d = valid[i] - '0';
                var changed = valid.Substring(0, i) + (char)('0' + (d + 1) % 10) + valid.Substring(i + 1);
                Assert.False(NhsNumber.IsValid(changed), changed);
            }
        }
    }
}
