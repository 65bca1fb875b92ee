using System;
using System.Collections;
using System.IO;
using HandiImaging.Core.Runbook;

namespace HandiImaging.Core.Tests.Runbook;

public sealed class RunbookConfigTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "handi-config-" + Guid.NewGuid().ToString("N"));
    private readonly string _file;

    public RunbookConfigTests()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "cohort.csv"), "HospitalId,Status,LastQueried\n");
        File.WriteAllText(Path.Combine(_dir, "rules.csv"), "Description,Decision,DecidedBy,DecidedOn,Note\n");
        _file = Path.Combine(_dir, "config.psd1");
    }

    public void Dispose() => Directory.Delete(_dir, true);

    private static Hashtable Valid() => new Hashtable
    {
        ["Pacs"] = new Hashtable { ["HostName"] = "pacs.local", ["Port"] = 104, ["CalledAeTitle"] = "SECTRA", ["CallingAeTitle"] = "HANDI" },
        ["Ingestion"] = new Hashtable { ["Mode"] = "CMove", ["MoveDestination"] = "XNAT" },
        ["CohortPath"] = "cohort.csv",
        ["RulesPath"] = "rules.csv",
        ["LedgerPath"] = "data/ledger.csv",
        ["RunRoot"] = "runs",
    };

    private RunbookConfigException Refused(Hashtable data) => Assert.Throws<RunbookConfigException>(() => RunbookConfig.FromDictionary(data, _file));

    [Fact]
    public void Reads_a_valid_file_resolving_paths_against_its_folder()
    {
        var c = RunbookConfig.FromDictionary(Valid(), _file);
        Assert.Equal(IngestionMode.CMove, c.Mode);
        Assert.Equal("XNAT", c.MoveDestination);
        Assert.Equal(Path.Combine(_dir, "data", "ledger.csv"), c.LedgerPath);
        Assert.Equal(Path.Combine(_dir, "runs"), c.RunRoot);
        Assert.Equal(14, c.OverlapDays);
        Assert.Equal(104, c.Pacs.Port);
    }

    [Theory]
    [InlineData("Password")]
    [InlineData("ClientSecret")]
    [InlineData("XnatPassword")]
    public void Refuses_a_secret_anywhere_naming_the_key(string key)
    {
        var data = Valid();
        data["Xnat"] = new Hashtable { ["Uri"] = "https://xnat.local", ["Project"] = "P", [key] = "x" };
        var ex = Refused(data);
        Assert.Equal("Xnat." + key, ex.Key);
        Assert.Contains("must not hold a password", ex.Message);
    }

    [Fact]
    public void Refuses_a_user_name_and_password_in_the_uri()
    {
        var data = Valid();
        data["Xnat"] = new Hashtable { ["Uri"] = "https://admin:pw@xnat.local", ["Project"] = "P" };
        Assert.Equal("Xnat.Uri", Refused(data).Key);
    }

    [Fact]
    public void Names_the_key_of_an_unknown_or_bad_value()
    {
        var data = Valid();
        data["OverlapDay"] = 3;
        Assert.Equal("OverlapDay", Refused(data).Key);

        data = Valid();
        ((Hashtable)data["Pacs"]!)["Port"] = "a lot";
        Assert.Equal("Pacs.Port", Refused(data).Key);

        data = Valid();
        ((Hashtable)data["Ingestion"]!)["Mode"] = "1";
        Assert.Equal("Ingestion.Mode", Refused(data).Key);

        data = Valid();
        ((Hashtable)data["Ingestion"]!).Remove("MoveDestination");
        Assert.Equal("Ingestion.MoveDestination", Refused(data).Key);

        data = Valid();
        data["Baselines"] = new Hashtable { ["Ultrasound"] = 0.1 };
        Assert.Equal("Baselines.Ultrasound", Refused(data).Key);

        data = Valid();
        data["Baselines"] = new Hashtable { ["CT"] = "lots" };
        Assert.Equal("Baselines.CT", Refused(data).Key);

        data = Valid();
        data["CohortPath"] = "missing.csv";
        Assert.Equal("CohortPath", Refused(data).Key);
    }

    [Fact]
    public void Dqr_needs_the_xnat_section_and_pacs_id()
    {
        var data = Valid();
        data["Ingestion"] = new Hashtable { ["Mode"] = "Dqr" };
        Assert.Equal("Xnat", Refused(data).Key);
        data["Xnat"] = new Hashtable { ["Uri"] = "https://xnat.local", ["Project"] = "RT-HaND" };
        Assert.Equal("Xnat.PacsId", Refused(data).Key);
        ((Hashtable)data["Xnat"]!)["PacsId"] = 2;
        var c = RunbookConfig.FromDictionary(data, _file);
        Assert.Equal(2, c.XnatPacsId);
        Assert.Equal(new Uri("https://xnat.local"), c.XnatUri);
    }

    [Fact]
    public void Baselines_accept_group_names_modalities_and_percentages()
    {
        var data = Valid();
        data["Baselines"] = new Hashtable { ["CT"] = 0.1, ["PT"] = "20%" };
        var c = RunbookConfig.FromDictionary(data, _file);
        Assert.Equal(0.1, c.Baselines["CT"], 6);
        Assert.Equal(0.2, c.Baselines["PET+NM"], 6);
    }
}
