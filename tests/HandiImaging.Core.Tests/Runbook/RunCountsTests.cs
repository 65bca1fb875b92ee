using System;
using System.Linq;
using HandiImaging.Core.Runbook;
using Newtonsoft.Json;

namespace HandiImaging.Core.Tests.Runbook
{
    public class RunCountsTests
    {
        [Fact]
        public void Counts_keep_the_order_they_were_added_in_and_replace_in_place()
        {
            var counts = new RunCounts { ["Studies found"] = 5, ["Patients queried"] = 2 };
            counts["Include"] = 3;
            counts["Studies found"] = 7;
            Assert.Equal(new[] { "Studies found", "Patients queried", "Include" }, counts.Keys);
            Assert.Equal(new long[] { 7, 2, 3 }, counts.Values);
            Assert.Throws<ArgumentException>(() => counts.Add("Include", 1));
            Assert.True(counts.Remove("Patients queried"));
            Assert.Equal(new[] { "Studies found", "Include" }, counts.Select(p => p.Key));
            Assert.Equal(3, counts["Include"]);
        }

        [Fact]
        public void Counts_serialise_as_a_JSON_object_in_order_for_the_run_log()
        {
            var step = new RunStepRecord { Name = "Query PACS", Counts = { ["Patients queried"] = 2874, ["Studies found"] = 12345 } };
            var json = JsonConvert.SerializeObject(step.Counts);
            Assert.Equal("{\"Patients queried\":2874,\"Studies found\":12345}", json);
        }
    }
}
