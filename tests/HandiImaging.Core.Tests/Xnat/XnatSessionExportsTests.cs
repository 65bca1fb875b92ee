using System.IO;
using System.Linq;
using HandiImaging.Core.Tests.Cohort;
using HandiImaging.Core.Xnat;

namespace HandiImaging.Core.Tests.Xnat
{
    public class XnatSessionExportsTests
    {
        [Fact]
        public void Finds_exact_names_then_a_single_case_insensitive_match_and_never_guesses_between_two()
        {
            using var folder = new TempFolder();
            folder.File("CT.csv", "Subject,Date\n");
            folder.File("mr.CSV", "Subject,Date\n");
            folder.File("pet.csv", "Subject,Date\n");
            folder.File("Pet.csv", "Subject,Date\n"); // two case-only variants: ambiguous

            var exports = XnatSessionExports.Locate(folder.Path);

            Assert.Equal(new[] { "CT", "MR", "PET", "CR", "DX", "RF", "SR", "XA" }, exports.Select(e => e.Type));
            Assert.Equal(Path.Combine(folder.Path, "CT.csv"), exports[0].Path);
            Assert.Equal(Path.Combine(folder.Path, "mr.CSV"), exports[1].Path);
            Assert.Null(exports[2].Path);
            Assert.All(exports.Skip(3), e => Assert.Null(e.Path));
        }
    }
}
