using System;
using System.Collections;
using System.Globalization;
using System.Management.Automation;
using HandiImaging.Core.Pacs;

namespace HandiImaging
{
    /// <summary>
    /// Lets every -Connection parameter take a hashtable (e.g. from Import-PowerShellDataFile) or any object
    /// with the connection's property names, as well as a PacsConnection.
    /// </summary>
    public sealed class PacsConnectionTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            var value = inputData is PSObject pso ? pso.BaseObject : inputData;
            if (value is PacsConnection) return value;
            Func<string, object?> get;
            if (value is IDictionary dictionary)
            {
                get = key =>
                {
                    foreach (DictionaryEntry entry in dictionary)
                        if (string.Equals(entry.Key?.ToString(), key, StringComparison.OrdinalIgnoreCase)) return entry.Value;
                    return null;
                };
            }
            else
            {
                var wrapped = PSObject.AsPSObject(inputData);
                get = key => wrapped.Properties[key]?.Value;
            }
            try
            {
                var connection = new PacsConnection(Text(get("HostName")) ?? "", Int(get("Port")) ?? 0, Text(get("CalledAeTitle")) ?? "", Text(get("CallingAeTitle")) ?? "");
                return connection with
                {
                    TimeoutSeconds = Int(get("TimeoutSeconds")) ?? connection.TimeoutSeconds,
                    MaxResultsPerQuery = Int(get("MaxResultsPerQuery")) ?? connection.MaxResultsPerQuery,
                    ThrottleLimit = Int(get("ThrottleLimit")) ?? connection.ThrottleLimit,
                };
            }
            catch (Exception ex) when (ex is ArgumentException || ex is FormatException || ex is OverflowException)
            {
                throw new ArgumentTransformationMetadataException(
                    "A connection needs HostName, Port, CalledAeTitle and CallingAeTitle (see New-PacsConnection): " + ex.Message, ex);
            }
        }

        private static string? Text(object? value) => value is PSObject p ? p.BaseObject?.ToString() : value?.ToString();

        private static int? Int(object? value)
        {
            var text = Text(value);
            return string.IsNullOrWhiteSpace(text) ? null : int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
        }
    }
}
